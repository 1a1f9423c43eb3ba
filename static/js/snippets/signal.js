// Code for the signal scenario: a sender queues signals with a value to a
// receiver that reads them from a signalfd. Lines stay within 40 columns.
export default {
  c: String.raw`
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define SIG ({{signal:SIGRTMIN+1}})
enum { N = {{signals:20}} };   /* signals */

/* receiver: SIG stays blocked and
   pending till a signalfd reads it */
sigset_t set;
sigemptyset(&set);
sigaddset(&set, SIG);
sigaddset(&set, SIGRTMAX); /* end */
sigprocmask(SIG_BLOCK, &set, NULL);
int fd = signalfd(-1, &set, 0);       //@ receiver signalfd
if (fork() == 0) sender();            //@ sender spawn
struct signalfd_siginfo si;
/* sleeps until a signal is pending */
while (read(fd, &si, sizeof si) > 0) {  //@ receiver read
    if (si.ssi_signo == SIGRTMAX)
        break;  /* all were sent */
    /* who sent it, and its value */
    handle(si.ssi_pid, si.ssi_int);   //@ receiver deliver
{{if handler_delay_ms!=0}}
    usleep({{handler_delay_ms:0}} * 1000);  /* slow */
{{end}}
}

/* sender */
pid_t to = getppid(); /* receiver */
for (int i = 1; i <= N; i++) {
{{if signal=SIGUSR1|SIGUSR2}}
    /* one pends at most: more merge */
{{else}}
    /* real-time: each one queues */
{{end}}
    union sigval v = { i };
    sigqueue(to, SIG, v);             //@ sender signal, sender sigqueue
}
/* the end, with the count as value */
union sigval end = { N };
sigqueue(to, SIGRTMAX, end);`,
  go: String.raw`
// with this module's internal/ipc
{{if signal=SIGUSR1}}
sig := unix.SIGUSR1
{{end}}
{{if signal=SIGUSR2}}
sig := unix.SIGUSR2
{{end}}
{{if signal=SIGRTMIN+1}}
sig := ipc.SigRTFree     // SIGRTMIN+1
{{end}}
{{if signal=SIGRTMIN+2}}
sig := ipc.SigRTFree + 1 // SIGRTMIN+2
{{end}}
{{if signal=SIGRTMIN+3}}
sig := ipc.SigRTFree + 2 // SIGRTMIN+3
{{end}}
const n = {{signals:20}} // signals

// receiver: sig stays blocked on every
// thread (the runtime would catch it)
ipc.ReexecWithSignalsBlocked(sig,
	ipc.SigRTMax)
r, _ := ipc.NewSignalReader(sig,      //@ receiver signalfd
	ipc.SigRTMax)
defer r.Close()
for {
	// sleeps until a signal is pending
	si, _ := r.Read()                 //@ receiver read
	if si.Signo == ipc.SigRTMax {
		break // all were sent
	}
	handle(si.Pid, si.Value)          //@ receiver deliver
{{if handler_delay_ms!=0}}
	time.Sleep({{handler_delay_ms:0}} * time.Millisecond)
{{end}}
}

// sender
to := os.Getppid() // the receiver
for i := range int32(n) {
	ipc.Sigqueue(to, sig, i+1)        //@ sender signal, sender sigqueue
}
ipc.Sigqueue(to, ipc.SigRTMax, n)`,
  py: String.raw`
import os, signal, time

SIG = signal.{{signal:SIGRTMIN+1}}
N = {{signals:20}}

# receiver: block it, then wait for it
signal.pthread_sigmask(
    signal.SIG_BLOCK, {SIG})
while True:
    # sleeps until one is pending
    info = signal.sigwaitinfo({SIG})  #@ receiver read
    handle(info.si_pid)               #@ receiver deliver
{{if handler_delay_ms!=0}}
    time.sleep({{handler_delay_ms:0}} / 1000)  # slow
{{end}}

# sender: Python has no sigqueue, so
# its signals carry no value
for i in range(N):
    os.kill(receiver, SIG)            #@ sender signal, sender sigqueue`,
};

// The parameters' values before a session runs.
export const defaults = { signal: 'SIGRTMIN+1', handler_delay_ms: 0 };

// Code for the signal scenario.
export default {
  c: String.raw`
/* receiver: keep the signal blocked, read it from a signalfd */
sigset_t set;
sigemptyset(&set);
sigaddset(&set, SIGRTMIN + 1);
sigprocmask(SIG_BLOCK, &set, NULL);  /* it waits, pending */
int fd = signalfd(-1, &set, 0);
struct signalfd_siginfo si;
while (read(fd, &si, sizeof si) > 0)  /* sleeps until one comes */  //@ receiver read
    handle(si.ssi_pid, si.ssi_int);   /* who sent it, its value */  //@ receiver deliver

/* sender */
union sigval v = { .sival_int = i };
sigqueue(receiver, SIGRTMIN + 1, v);  /* real-time: each queued */  //@ sender signal, sigqueue
kill(receiver, SIGUSR1);     /* classic: pending ones merge */  //@ sender kill`,
  go: String.raw`
// receiver: the runtime's handler feeds a channel
ch := make(chan os.Signal, 16)
signal.Notify(ch, syscall.SIGUSR1)
for sig := range ch {            // sleeps until one comes  //@ receiver read
	handle(sig)                                          //@ receiver deliver
}

// sender: pending SIGUSR1s merge into one
syscall.Kill(receiver, syscall.SIGUSR1)                 //@ sender signal, kill, sigqueue`,
  py: String.raw`
import os, signal

# receiver: block it, then wait for it with its details
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
while True:
    info = signal.sigwaitinfo({signal.SIGUSR1})  # sleeps  #@ receiver read
    handle(info.si_pid, info.si_value)                    #@ receiver deliver

# sender
os.kill(receiver, signal.SIGUSR1)                         #@ sender signal, kill, sigqueue`,
};

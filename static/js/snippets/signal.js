// Code for the signal scenario.
export default {
  c: String.raw`
/* receiver: block the signal, read it from a signalfd */
sigset_t set;
sigemptyset(&set);
sigaddset(&set, SIGRTMIN + 1);
sigprocmask(SIG_BLOCK, &set, NULL);
int fd = signalfd(-1, &set, 0);
struct signalfd_siginfo si;
read(fd, &si, sizeof si);   /* sleeps until one comes */  //@ receiver read, deliver
/* si.ssi_pid: the sender; si.ssi_int: the value it sent */

/* sender */
union sigval v = { .sival_int = i };
sigqueue(receiver_pid, SIGRTMIN + 1, v);   /* queued, not merged */  //@ signal, sigqueue
kill(receiver_pid, SIGUSR1);   /* classic: pending ones merge */`,
  py: String.raw`
import os, signal

# receiver
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
info = signal.sigwaitinfo({signal.SIGUSR1})   #@ receiver read, deliver
print(info.si_pid, info.si_value)

# sender
os.kill(receiver_pid, signal.SIGUSR1)         #@ signal, sigqueue`,
};

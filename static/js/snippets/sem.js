// Code for the semaphore scenario: a semaphore as a number of permits.
export default {
  c: String.raw`
#include <sys/sem.h>

/* parent: one semaphore whose value is the number of permits */
int s = semget(key, 1, IPC_CREAT | 0600);  /* ipcs -s lists it */  //@ parent open, parent semget
semctl(s, 0, SETVAL, permits);

/* each worker, round after round */
int s = semget(key, 1, 0);                          //@ worker open
struct sembuf p = { 0, -1, SEM_UNDO };  /* P: take a permit */
struct sembuf v = { 0, +1, SEM_UNDO };  /* V: give it back */
semop(s, &p, 1);      /* value 0: the kernel makes it wait */  //@ wait, semop
usleep(hold_ms * 1000);  /* at most "permits" workers in here */
semop(s, &v, 1);      /* wakes one worker that waits */  //@ post

semctl(s, 0, IPC_RMID);                             //@ unlink, semctl IPC_RMID`,
  go: String.raw`
// with this module's internal/ipc: one small function per system call
s, _ := ipc.Semget(key, 1, unix.IPC_CREAT|0o600)    //@ parent open, parent semget
ipc.SemSetVal(s, 0, permits)

// each worker, round after round
s, _ = ipc.Semget(key, 1, 0)                        //@ worker open
ipc.Semop(s, ipc.Sembuf{Op: -1, Flg: ipc.SemUndo})  // P: 0 makes it wait  //@ wait, semop
time.Sleep(hold)                                    // at most "permits" in here
ipc.Semop(s, ipc.Sembuf{Op: +1, Flg: ipc.SemUndo})  // V: wakes one  //@ post

ipc.SemRemove(s)                                    //@ unlink, semctl IPC_RMID`,
  py: String.raw`
import multiprocessing as mp, time

permits = mp.Semaphore(2)   # a POSIX semaphore, shared with the children  #@ parent open, parent semget

def worker():
    permits.acquire()       # P: value 0 makes the caller wait  #@ wait, semop
    time.sleep(hold)        # at most two workers in here
    permits.release()       # V: wakes one that waits           #@ post`,
};

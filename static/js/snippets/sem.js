// Code for the semaphore scenario.
export default {
  c: String.raw`
#include <sys/sem.h>

int s = semget(key, 1, IPC_CREAT | 0600);       //@ open, semget
semctl(s, 0, SETVAL, 2);            /* two permits */

struct sembuf p = { 0, -1, SEM_UNDO };          /* P: take one */
struct sembuf v = { 0, +1, SEM_UNDO };          /* V: give it back */

semop(s, &p, 1);      /* value 0: the caller sleeps */  //@ wait, semop
/* ... at most two processes are here at once ... */
semop(s, &v, 1);      /* wakes one sleeper */   //@ post

semctl(s, 0, IPC_RMID);                         //@ unlink, semctl IPC_RMID`,
  py: String.raw`
import multiprocessing as mp

permits = mp.Semaphore(2)        # a POSIX semaphore in shared memory
permits.acquire()                # P: value 0 makes the caller sleep   #@ wait, semop
# ... at most two processes are here at once ...
permits.release()                # V: wakes one sleeper                #@ post`,
};

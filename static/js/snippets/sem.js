// Code for the semaphore scenario: a semaphore as a number of permits.
// Lines stay within 40 columns.
export default {
  c: String.raw`
#include <sys/sem.h>
#include <unistd.h>

enum {
    PROCS = {{processes:4}},     /* processes */
    PERMITS = {{permits:2}},   /* inside at once */
    ROUNDS = {{rounds:3}},    /* each goes in */
};

/* parent: one semaphore; ipcs -s */
int s = semget(key, 1,               //@ parent semget
               IPC_CREAT | 0600);
semctl(s, 0, SETVAL, PERMITS);
/* a counter of those inside, shared */
int fd = shm_open("/light",          //@ parent shm_open
    O_CREAT | O_RDWR, 0600);
for (int i = 0; i < PROCS; i++)
    if (fork() == 0) worker();       //@ worker spawn
/* once every worker has exited */
semctl(s, 0, IPC_RMID);              //@ parent semctl IPC_RMID
shm_unlink("/light");                //@ parent shm_unlink

/* P takes a permit, V gives it back */
struct sembuf p = { 0, -1, SEM_UNDO };
struct sembuf v = { 0, +1, SEM_UNDO };

void worker(void) {
    int s = semget(key, 1, 0);       //@ worker semget
    for (int r = 0; r < ROUNDS; r++) {
        /* P: none left? it waits */
        semop(s, &p, 1);             //@ worker wait, worker semop
{{if hold_ms!=0}}
        usleep({{hold_ms:300}} * 1000);
{{end}}
        /* V: wakes one that waits */
        semop(s, &v, 1);             //@ worker post, worker semop
    }
}`,
  go: String.raw`
// with this module's internal/ipc
const (
	procs   = {{processes:4}} // processes
	permits = {{permits:2}} // inside at once
	rounds  = {{rounds:3}} // each goes in
)

// parent: one semaphore; ipcs -s
s, _ := ipc.Semget(key, 1,             //@ parent semget
	unix.IPC_CREAT|0o600)
ipc.SemSetVal(s, 0, permits)
// starts the workers, waits for them
ipc.SemRemove(s)                       //@ parent semctl IPC_RMID

// each worker
s, _ := ipc.Semget(key, 1, 0)          //@ worker semget
const undo = ipc.SemUndo
p := ipc.Sembuf{Op: -1, Flg: undo} // P
v := ipc.Sembuf{Op: +1, Flg: undo} // V
for range rounds {
	// P: none left? it waits
	ipc.Semop(s, p)                    //@ worker wait, worker semop
{{if hold_ms!=0}}
	time.Sleep({{hold_ms:300}} * time.Millisecond)
{{end}}
	// V: wakes one that waits
	ipc.Semop(s, v)                    //@ worker post, worker semop
}`,
  py: String.raw`
import multiprocessing as mp, time

PROCS, ROUNDS = {{processes:4}}, {{rounds:3}}
# a POSIX semaphore, shared with the
# children: {{permits:2}} permits
permits = mp.Semaphore({{permits:2}})  #@ parent semget

def worker():
    for _ in range(ROUNDS):
        permits.acquire()  # 0: waits  #@ worker wait, semop
{{if hold_ms!=0}}
        time.sleep({{hold_ms:300}} / 1000)
{{end}}
        permits.release()  # wakes one  #@ worker post, semop

for _ in range(PROCS):
    mp.Process(target=worker).start()  #@ worker spawn`,
};

// The parameters' values before a session runs.
export const defaults = { hold_ms: 300 };

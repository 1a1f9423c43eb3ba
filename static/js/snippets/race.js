// Code for the race scenario: workers add 1 to a counter in shared
// memory, with the sync the session picked. Lines stay within 40 columns.
export default {
  c: String.raw`
enum { WORKERS = {{workers:4}}, N = {{increments:100000}} };

void *map(int fd) {     /* 128 bytes */
    return mmap(NULL, 128,
        PROT_READ | PROT_WRITE,
        MAP_SHARED, fd, 0);
}

/* parent: a counter, shared memory */
int fd = shm_open("/counter",         //@ parent shm_open
    O_CREAT | O_RDWR, 0600);
ftruncate(fd, 128);
long *c = map(fd);
{{if sync=semaphore}}
/* a System V semaphore as the lock */
int lock = semget(key, 1,             //@ parent semget
    IPC_CREAT | 0600);
semctl(lock, 0, SETVAL, 1);  /* free */
{{end}}
{{if sync=futex}}
/* a mutex after the counter; whoever
   waits for it sleeps on a futex */
pthread_mutex_t *m = (void *)(c + 8);
pthread_mutexattr_t a;
pthread_mutexattr_init(&a);
pthread_mutexattr_setpshared(&a,
    PTHREAD_PROCESS_SHARED);
pthread_mutex_init(m, &a);
{{end}}
for (int w = 0; w < WORKERS; w++)
    if (fork() == 0) worker();        //@ worker spawn
/* once every worker has exited */
printf("%ld of %d\n", *c, WORKERS * N);  //@ parent read, parent note
shm_unlink("/counter");               //@ parent shm_unlink
{{if sync=semaphore}}
semctl(lock, 0, IPC_RMID);            //@ parent semctl IPC_RMID
{{end}}

/* each worker opens it by its name */
fd = shm_open("/counter", O_RDWR, 0);  //@ worker shm_open
{{if sync=atomic}}
_Atomic long *c = map(fd);
{{else}}
long *c = map(fd);
{{end}}
{{if sync=semaphore}}
int lock = semget(key, 1, 0);         //@ worker semget
struct sembuf p = { 0, -1, SEM_UNDO };
struct sembuf v = { 0, +1, SEM_UNDO };
{{end}}
{{if sync=futex}}
pthread_mutex_t *m = (void *)(c + 8);
{{end}}
sem_wait(start);   /* all at once */  //@ worker sem_wait
for (long i = 0; i < N; i++) {       //@ worker note
{{if sync=semaphore}}
    semop(lock, &p, 1);      /* P */  //@ worker wait, worker semop
{{end}}
{{if sync=futex}}
    pthread_mutex_lock(m);            //@ worker wait, worker mutex lock
{{end}}
{{if sync=atomic}}
    /* one instruction: lock xadd */
    atomic_fetch_add(c, 1);           //@ worker write, worker atomic add
{{else}}
    long got = *c;   /* load ... */   //@ worker read, worker load
    *c = got + 1;    /* ... store */  //@ worker write, worker store
{{end}}
{{if sync=none}}
    /* another worker's store between
       the two is overwritten: lost */
{{end}}
{{if sync=semaphore}}
    semop(lock, &v, 1);      /* V */  //@ worker post, worker semop
{{end}}
{{if sync=futex}}
    pthread_mutex_unlock(m);          //@ worker post, worker mutex unlock
{{end}}
}`,
  go: String.raw`
// with this module's internal/ipc
const workers, n = {{workers:4}}, {{increments:100000}}

// each worker: the parent's counter
seg, _ := ipc.OpenShmSegment(         //@ worker shm_open
	"/counter")
mem := seg.Bytes()
c, _ := ipc.SharedInt64At(mem)
{{if sync=semaphore}}
lock, _ := ipc.Semget(key, 1, 0)      //@ worker semget
const undo = ipc.SemUndo
p := ipc.Sembuf{Op: -1, Flg: undo}
v := ipc.Sembuf{Op: +1, Flg: undo}
{{end}}
{{if sync=futex}}
m, _ := ipc.FutexMutexAt(mem[64:])
{{end}}
start, _ := ipc.FutexSemAt(mem[8:])
start.Wait() // all at once          //@ worker sem_wait
for range n {                        //@ worker note
{{if sync=semaphore}}
	ipc.Semop(lock, p) // P           //@ worker wait, worker semop
{{end}}
{{if sync=futex}}
	m.Lock()                          //@ worker wait, worker mutex lock
{{end}}
{{if sync=atomic}}
	c.Add(1) // one instruction       //@ worker write, worker atomic add
{{else}}
	got := c.Load()  // load ...      //@ worker read, worker load
	c.Store(got + 1) // ... store     //@ worker write, worker store
{{end}}
{{if sync=semaphore}}
	ipc.Semop(lock, v) // V           //@ worker post, worker semop
{{end}}
{{if sync=futex}}
	m.Unlock()                        //@ worker post, worker mutex unlock
{{end}}
}`,
  py: String.raw`
from multiprocessing import (
    Barrier, Lock, shared_memory)

W, N = {{workers:4}}, {{increments:100000}}
# made before the fork
start = Barrier(W)
{{if sync!=none}}
lock = Lock()
{{end}}

# each worker: the parent's counter
shm = shared_memory.SharedMemory(  #@ worker shm_open
    "counter")
n = shm.buf.cast("q")  # 64-bit numbers
start.wait()  # all at once        #@ worker sem_wait
for _ in range(N):                 #@ worker note
{{if sync=none}}
    v = n[0]       # load ...      #@ worker read, worker load
    n[0] = v + 1   # ... store     #@ worker write, worker store
{{else}}
{{if sync=atomic}}
    # no atomic add in Python: a lock
{{end}}
    with lock:                     #@ worker wait, worker semop, worker mutex lock
        v = n[0]   # load ...      #@ worker read, worker load
        n[0] = v + 1  # ... store  #@ worker write, worker store, worker atomic add
{{end}}
n.release()
shm.close()`,
};

// The parameters' values before a session runs.
export const defaults = { sync: 'none' };

// Code for the shared-memory scenarios: a ring of slots in a segment,
// guarded by two semaphores, "empty" (free slots) and "full" (slots to
// read). POSIX keeps them in the segment; System V uses a semaphore set.
// Lines stay within 40 columns.
export default {
  c: String.raw`
enum {
    N = {{messages:16}},     /* messages */
    SIZE = {{size:64}},   /* bytes each */
    SLOTS = {{slots:4}},   /* in the ring */
};
{{if mechanism=shm-posix}}
typedef struct {
    char slot[SLOTS][SIZE];
    sem_t empty, full; /* semaphores */
} ring;

/* writer: a name under /dev/shm */
int fd = shm_open("/ring",             //@ writer shm_open
    O_CREAT | O_RDWR, 0600);
ftruncate(fd, sizeof(ring));
ring *r = mmap(NULL, sizeof *r,
    PROT_READ | PROT_WRITE,
    MAP_SHARED, fd, 0);
sem_init(&r->empty, 1, SLOTS);         //@ writer sem_init
sem_init(&r->full, 1, 0);
if (fork() == 0) reader();             //@ reader spawn
for (long i = 0; i < N; i++) {
    /* no free slot: writer sleeps */
    sem_wait(&r->empty);               //@ writer wait, writer sem_wait
    char *slot = r->slot[i % SLOTS];
    /* a store: no system call */
    memcpy(slot, m, SIZE);             //@ writer write
    sem_post(&r->full);                //@ writer post, writer sem_post
}
munmap(r, sizeof *r);                  //@ writer close, writer munmap
shm_unlink("/ring");   /* name goes */  //@ writer unlink, writer shm_unlink

/* reader: the same object, by name */
int fd = shm_open("/ring", O_RDWR, 0);  //@ reader shm_open
ring *r = mmap(NULL, sizeof *r,
    PROT_READ | PROT_WRITE,
    MAP_SHARED, fd, 0);
for (long i = 0; i < N; i++) {
{{if reader_delay_ms!=0}}
    usleep({{reader_delay_ms:30}} * 1000);  /* slow */
{{end}}
    sem_wait(&r->full);                //@ reader wait, reader sem_wait
    char *slot = r->slot[i % SLOTS];
    memcpy(m, slot, SIZE); /* a load */  //@ reader read
    sem_post(&r->empty);               //@ reader post, reader sem_post
}
munmap(r, sizeof *r);                  //@ reader close, reader munmap
{{else}}
enum { EMPTY, FULL };  /* semaphores */
char (*slot)[SIZE];

/* writer: a segment by key; ipcs -m */
int id = shmget(key, SLOTS * SIZE,     //@ writer shmget
                IPC_CREAT | 0600);
slot = shmat(id, NULL, 0);
int s = semget(key2, 2,                //@ writer semget
               IPC_CREAT | 0600);
semctl(s, EMPTY, SETVAL, SLOTS);       //@ writer open semget #0
semctl(s, FULL, SETVAL, 0);            //@ writer open semget #1
if (fork() == 0) reader();             //@ reader spawn
struct sembuf p = { EMPTY, -1, 0 };
struct sembuf v = { FULL, +1, 0 };
for (long i = 0; i < N; i++) {
    /* no free slot: writer sleeps */
    semop(s, &p, 1);                   //@ writer wait, writer semop
    /* a store: no system call */
    memcpy(slot[i % SLOTS], m, SIZE);  //@ writer write
    semop(s, &v, 1);                   //@ writer post, writer semop
}
shmdt(slot);                           //@ writer close, writer shmdt
shmctl(id, IPC_RMID, NULL);            //@ writer shmctl IPC_RMID
semctl(s, 0, IPC_RMID);                //@ writer semctl IPC_RMID

/* reader: the same key */
int id = shmget(key, 0, 0);            //@ reader shmget
slot = shmat(id, NULL, 0);
int s = semget(key2, 2, 0);            //@ reader semget
struct sembuf p = { FULL, -1, 0 };
struct sembuf v = { EMPTY, +1, 0 };
for (long i = 0; i < N; i++) {
{{if reader_delay_ms!=0}}
    usleep({{reader_delay_ms:30}} * 1000);  /* slow */
{{end}}
    semop(s, &p, 1);                   //@ reader wait, reader semop
    memcpy(m, slot[i % SLOTS], SIZE);  //@ reader read
    semop(s, &v, 1);                   //@ reader post, reader semop
}
shmdt(slot);                           //@ reader close, reader shmdt
{{end}}`,
  go: String.raw`
// with this module's internal/ipc
const n, size, slots = {{messages:16}}, {{size:64}}, {{slots:4}}

{{if mechanism=shm-posix}}
// the slots, then two semaphores
const sems = (slots*size + 7) &^ 7

// writer
seg, _ := ipc.CreateShmSegment("/ring",  //@ writer shm_open
	sems+16)
mem := seg.Bytes()
empty, _ := ipc.NewFutexSem(           //@ writer sem_init
	mem[sems:], slots)
full, _ := ipc.NewFutexSem(
	mem[sems+8:], 0)
for i := range n {
	// no free slot: the writer sleeps
	empty.Wait()                     //@ writer wait, writer sem_wait
	at := i % slots * size
	copy(mem[at:at+size], msg)       //@ writer write
	full.Post()                      //@ writer post, writer sem_post
}
seg.Close()                          //@ writer close, writer munmap
ipc.ShmUnlink("/ring")               //@ writer unlink, writer shm_unlink

// reader: the same object by its name
seg, _ := ipc.OpenShmSegment("/ring")  //@ reader shm_open
mem := seg.Bytes()
empty, _ := ipc.FutexSemAt(mem[sems:])
full, _ := ipc.FutexSemAt(mem[sems+8:])
for i := range n {
{{if reader_delay_ms!=0}}
	time.Sleep({{reader_delay_ms:30}} * time.Millisecond)
{{end}}
	full.Wait()                      //@ reader wait, reader sem_wait
	at := i % slots * size
	copy(buf, mem[at:at+size])       //@ reader read
	empty.Post()                     //@ reader post, reader sem_post
}
seg.Close()                          //@ reader close, reader munmap
{{else}}
// writer: a segment and 2 semaphores
id, _ := ipc.Shmget(key, slots*size,   //@ writer shmget
	unix.IPC_CREAT|0o600)
mem, _ := ipc.Shmat(id, 0)
s, _ := ipc.Semget(key2, 2,            //@ writer semget
	unix.IPC_CREAT|0o600)
ipc.SemSetVal(s, 0, slots)  // empty  //@ writer open semget #0
ipc.SemSetVal(s, 1, 0)      // full   //@ writer open semget #1
p := ipc.Sembuf{Num: 0, Op: -1}
v := ipc.Sembuf{Num: 1, Op: +1}
for i := range n {
	// no free slot: the writer sleeps
	ipc.Semop(s, p)                  //@ writer wait, writer semop
	at := i % slots * size
	copy(mem[at:at+size], msg)       //@ writer write
	ipc.Semop(s, v)                  //@ writer post, writer semop
}
ipc.Shmdt(mem)                       //@ writer close, writer shmdt
ipc.ShmRemove(id)                    //@ writer shmctl IPC_RMID
ipc.SemRemove(s)                     //@ writer semctl IPC_RMID

// reader: the same keys
id, _ := ipc.Shmget(key, 0, 0)         //@ reader shmget
mem, _ := ipc.Shmat(id, 0)
s, _ := ipc.Semget(key2, 2, 0)         //@ reader semget
p := ipc.Sembuf{Num: 1, Op: -1}
v := ipc.Sembuf{Num: 0, Op: +1}
for i := range n {
{{if reader_delay_ms!=0}}
	time.Sleep({{reader_delay_ms:30}} * time.Millisecond)
{{end}}
	ipc.Semop(s, p)                  //@ reader wait, reader semop
	at := i % slots * size
	copy(buf, mem[at:at+size])       //@ reader read
	ipc.Semop(s, v)                  //@ reader post, reader semop
}
ipc.Shmdt(mem)                       //@ reader close, reader shmdt
{{end}}`,
  py: String.raw`
{{if mechanism=shm-posix}}
import time
from multiprocessing import (
    Semaphore, shared_memory)

N, SIZE, SLOTS = {{messages:16}}, {{size:64}}, {{slots:4}}
shm = shared_memory.SharedMemory(  #@ writer shm_open, shm_open
    "ring", create=True,
    size=SLOTS * SIZE)
# made before the fork, shared with it
empty = Semaphore(SLOTS)  # free slots  #@ writer sem_init
full = Semaphore(0)       # to read

# writer
for i in range(N):
    empty.acquire()   # 0 free: sleeps   #@ writer wait, writer sem_wait
    at = i % SLOTS * SIZE
    shm.buf[at:at + SIZE] = msg          #@ writer write
    full.release()                       #@ writer post, writer sem_post

# reader
for i in range(N):
{{if reader_delay_ms!=0}}
    time.sleep({{reader_delay_ms:30}} / 1000)  # slow
{{end}}
    full.acquire()                       #@ reader wait, reader sem_wait
    at = i % SLOTS * SIZE
    data = bytes(shm.buf[at:at + SIZE])  #@ reader read
    empty.release()                      #@ reader post, reader sem_post

shm.close()                    #@ close, munmap
shm.unlink()                   #@ unlink, shm_unlink
{{end}}`,
};

// The parameters' values before a session runs.
export const defaults = { reader_delay_ms: 30 };

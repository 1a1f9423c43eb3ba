// Code for the race scenario: workers add 1 to a counter in shared memory.
export default {
  c: String.raw`
/* parent: a counter in shared memory, then the workers */
int fd = shm_open("/counter", O_CREAT | O_RDWR, 0600);  //@ parent open
ftruncate(fd, 64);

/* each worker */
long *counter = mmap(NULL, 64, PROT_READ | PROT_WRITE,
                     MAP_SHARED, fd, 0);                //@ worker open
sem_wait(start);           /* all start at the same moment */  //@ sem_wait
for (long i = 0; i < increments; i++) {
    semop(lock, &p, 1);    /* sync "semaphore": one at a time */  //@ wait
    long v = *counter;     /* read ...                          */  //@ read
    *counter = v + 1;      /* ... write: if another worker wrote
                              in between, its addition is lost  */  //@ write, worker note
    semop(lock, &v, 1);                                  //@ post
}
/* sync "atomic": __atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST); */

/* parent, once every worker exited */
printf("%ld of %ld\n", *counter, workers * increments);  //@ parent note`,
  go: String.raw`
// each worker: mem is the shared mapping (this module's ipc.OpenShmSegment)
seg, _ := ipc.OpenShmSegment("/counter")           //@ worker open
mem := seg.Bytes()
for i := 0; i < increments; i++ {
	v := binary.LittleEndian.Uint64(mem)     // read ...  //@ read
	binary.LittleEndian.PutUint64(mem, v+1)  // ... write: may lose one  //@ write, worker note
}

// sync "atomic": one instruction reads and writes
c, _ := ipc.SharedInt64At(mem)
c.Add(1)`,
  py: String.raw`
from multiprocessing import shared_memory

shm = shared_memory.SharedMemory("counter")       # made by the parent  #@ worker open
for _ in range(increments):
    v = int.from_bytes(shm.buf[0:8], "little")    # read ...  #@ read
    shm.buf[0:8] = (v + 1).to_bytes(8, "little")  # ... write: may lose one  #@ write, worker note
shm.close()`,
};

// Code for the race scenario: a counter in shared memory.
export default {
  c: String.raw`
long *counter = mmap(NULL, 64, PROT_READ | PROT_WRITE,
                     MAP_SHARED, shm_open("/counter", O_CREAT | O_RDWR, 0600), 0);  //@ open, shm_open

for (int i = 0; i < increments; i++) {
    long v = *counter;     /* read ...                    */  //@ read
    *counter = v + 1;      /* ... write: another process may
                              have written in between: lost */  //@ write, note
}

/* fixes: a semaphore around the two lines,        */
semop(lock, &p, 1);                                          //@ wait
semop(lock, &v, 1);                                          //@ post
/* or one atomic instruction                        */
__atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST);`,
  go: String.raw`
// counter points into a shared mapping (syscall.Mmap of the shm file).
for i := 0; i < increments; i++ {
	v := *counter  // read ...                       //@ read
	*counter = v + 1 // ... write: an update may be lost  //@ write, note
}

// the fix with one atomic instruction:
atomic.AddInt64(counter, 1)`,
};

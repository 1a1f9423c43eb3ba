// Code for the shared-memory scenarios (POSIX and System V): a ring of
// slots in a segment, guarded by two semaphores, "empty" and "full".
export default {
  c: String.raw`
/* POSIX: a name under /dev/shm */
int fd = shm_open("/ring", O_CREAT | O_RDWR, 0600);  //@ open, shm_open
ftruncate(fd, size);
char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
/* System V: a key, as ipcs -m lists it */
int id = shmget(key, size, IPC_CREAT | 0600);        //@ shmget
char *mem2 = shmat(id, NULL, 0);

/* writer: wait for a free slot, store, say it is full */
sem_wait(empty);                 /* 0 free: the writer sleeps */  //@ writer wait, writer sem_wait, writer semop
memcpy(mem + slot * 64, msg, 64);  /* a store: no system call */  //@ writer write
sem_post(full);                                      //@ writer post

/* reader: the opposite */
sem_wait(full);                                      //@ reader wait, reader sem_wait, reader semop
memcpy(buf, mem + slot * 64, 64);  /* a load */      //@ reader read
sem_post(empty);                                     //@ reader post

munmap(mem, size);               /* shmdt(mem2) */   //@ close, munmap, shmdt
shm_unlink("/ring");             /* shmctl(id, IPC_RMID, 0) */  //@ unlink, shm_unlink, shmctl IPC_RMID`,
  go: String.raw`
// with this module's internal/ipc
seg, _ := ipc.CreateShmSegment("/ring", size)       //@ open, shm_open, shmget
mem := seg.Bytes()                                   // a []byte on the shared pages
empty, _ := ipc.NewFutexSem(mem[256:], 4)            // semaphores inside it
full, _ := ipc.NewFutexSem(mem[264:], 0)

// writer
empty.Wait()                     // 0 free: the writer sleeps  //@ writer wait, writer sem_wait, writer semop
copy(mem[slot*64:], msg)         // a store: no system call  //@ writer write
full.Post()                                          //@ writer post

// reader
full.Wait()                                          //@ reader wait, reader sem_wait, reader semop
copy(buf, mem[slot*64:slot*64+64]) // a load         //@ reader read
empty.Post()                                         //@ reader post

seg.Close()                                          //@ close, munmap, shmdt
ipc.ShmUnlink("/ring")                               //@ unlink, shm_unlink, shmctl IPC_RMID`,
  py: String.raw`
from multiprocessing import shared_memory, Semaphore

shm = shared_memory.SharedMemory("ring", create=True, size=size)  #@ open, shm_open, shmget
empty, full = Semaphore(4), Semaphore(0)    # made before the fork

# writer
empty.acquire()                  # 0 free: the writer sleeps  #@ writer wait, writer sem_wait, writer semop
shm.buf[slot * 64:slot * 64 + 64] = msg      # a store      #@ writer write
full.release()                                              #@ writer post

# reader
full.acquire()                                              #@ reader wait, reader sem_wait, reader semop
data = bytes(shm.buf[slot * 64:slot * 64 + 64])  # a load   #@ reader read
empty.release()                                             #@ reader post

shm.close()                                                 #@ close, munmap, shmdt
shm.unlink()                                                #@ unlink, shm_unlink, shmctl IPC_RMID`,
};

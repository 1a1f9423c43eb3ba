// Code for the shared-memory scenarios (POSIX and System V).
export default {
  c: String.raw`
#include <sys/mman.h>

/* POSIX: a name under /dev/shm */
int fd = shm_open("/demo", O_CREAT | O_RDWR, 0600);   //@ open, shm_open
ftruncate(fd, 4096);
char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

/* System V: a key, as ipcs -m lists it */
int id = shmget(key, 4096, IPC_CREAT | 0600);         //@ shmget
char *q = shmat(id, NULL, 0);                         //@ shmat

memcpy(p + off, msg, n);   /* no system call: just a store */  //@ write
memcpy(buf, p + off, n);   /* and a load */                    //@ read

munmap(p, 4096);                                      //@ close
shm_unlink("/demo");                                  //@ unlink, shm_unlink
shmctl(id, IPC_RMID, NULL);                           //@ shmctl IPC_RMID`,
};

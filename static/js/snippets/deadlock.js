// Code for the deadlock scenario: two semaphores taken in opposite order
// (or two pipes each process reads before it writes).
export default {
  c: String.raw`
/* parent: a set of two System V semaphores, both 1 */
int s = semget(key, 2, IPC_CREAT | 0600);             //@ parent open, parent semget
struct sembuf take0 = { 0, -1, SEM_UNDO }, give0 = { 0, +1, SEM_UNDO };
struct sembuf take1 = { 1, -1, SEM_UNDO }, give1 = { 1, +1, SEM_UNDO };

/* worker-1: #0, then #1 */
semop(s, &take0, 1);                                  //@ worker-1 wait #0
semop(s, &take1, 1);      /* waits for worker-2 */    //@ worker-1 wait #1, worker-1 semop #1
semop(s, &give1, 1); semop(s, &give0, 1);             //@ worker-1 post

/* worker-2: the opposite order, #1, then #0 */
semop(s, &take1, 1);                                  //@ worker-2 wait #1
semop(s, &take0, 1);      /* waits for worker-1: a cycle */  //@ worker-2 wait #0, worker-2 semop #0
semop(s, &give0, 1); semop(s, &give1, 1);             //@ worker-2 post

/* pipes: each reads first, so nobody ever writes */
read(from_other, buf, 64);                            //@ worker read
write(to_other, buf, 64);

/* the cure: one order for everybody ("same") */`,
  go: String.raw`
// with this module's internal/ipc
s, _ := ipc.Semget(key, 2, unix.IPC_CREAT|0o600)      //@ parent open, parent semget
take := func(n uint16) error { return ipc.Semop(s, ipc.Sembuf{Num: n, Op: -1, Flg: ipc.SemUndo}) }
give := func(n uint16) error { return ipc.Semop(s, ipc.Sembuf{Num: n, Op: +1, Flg: ipc.SemUndo}) }

// worker-1: #0, then #1
take(0)                                               //@ worker-1 wait #0
take(1) // waits for worker-2                         //@ worker-1 wait #1, worker-1 semop #1
give(1); give(0)                                      //@ worker-1 post

// worker-2: the opposite order
take(1)                                               //@ worker-2 wait #1
take(0) // waits for worker-1: a cycle                //@ worker-2 wait #0, worker-2 semop #0
give(0); give(1)                                      //@ worker-2 post

// pipes: each reads first, so nobody ever writes
fromOther.Read(buf)                                   //@ worker read
toOther.Write(buf)`,
};

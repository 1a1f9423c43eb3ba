// Code for the deadlock scenario: two semaphores taken in opposite order.
export default {
  c: String.raw`
int s = semget(key, 2, IPC_CREAT | 0600);    /* two semaphores, value 1 */  //@ open, semget
struct sembuf take0 = { 0, -1, SEM_UNDO }, give0 = { 0, +1, SEM_UNDO };
struct sembuf take1 = { 1, -1, SEM_UNDO }, give1 = { 1, +1, SEM_UNDO };

/* worker-1 */
semop(s, &take0, 1);                         //@ worker-1 wait
semop(s, &take1, 1);   /* waits for worker-2 */  //@ worker-1 semop
semop(s, &give1, 1); semop(s, &give0, 1);    //@ worker-1 post

/* worker-2: the opposite order */
semop(s, &take1, 1);                         //@ worker-2 wait
semop(s, &take0, 1);   /* waits for worker-1: a cycle */  //@ worker-2 semop
semop(s, &give0, 1); semop(s, &give1, 1);    //@ worker-2 post

/* the fix: every process takes them in the same order */`,
};

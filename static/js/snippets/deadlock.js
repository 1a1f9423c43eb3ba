// Code for the deadlock scenario: two semaphores taken in opposite order,
// or two pipes each process reads before it writes; with order "same" the
// cycle cannot form. Lines stay within 40 columns.
export default {
  c: String.raw`
{{if resource=semaphores}}
/* parent: two System V semaphores */
int s = semget(key, 2,                //@ parent semget
    IPC_CREAT | 0600);
semctl(s, 0, SETVAL, 1);
semctl(s, 1, SETVAL, 1);
/* (it starts both workers, waits) */
semctl(s, 0, IPC_RMID);               //@ parent semctl IPC_RMID

/* SEM_UNDO: the kernel gives back what
   a killed process held */
void op(int n, int d) {
    struct sembuf b = {n, d, SEM_UNDO};
    semop(s, &b, 1);
}
#define take(n) op(n, -1)
#define give(n) op(n, +1)

/* worker-1: #0, then #1 */
take(0);                              //@ worker-1 wait #0, worker-1 semop #0
usleep({{hold_ms:300}} * 1000);  /* holds #0 */
/* waits for worker-2 */
take(1);                              //@ worker-1 wait #1, worker-1 semop #1
give(1);                              //@ worker-1 post #1, worker-1 semop #1
give(0);                              //@ worker-1 post #0, worker-1 semop #0

{{if order=opposite}}
/* worker-2: #1, then #0 */
take(1);                              //@ worker-2 wait #1, worker-2 semop #1
usleep({{hold_ms:300}} * 1000);  /* holds #1 */
/* waits for worker-1: a cycle */
take(0);                              //@ worker-2 wait #0, worker-2 semop #0
give(0);                              //@ worker-2 post #0, worker-2 semop #0
give(1);                              //@ worker-2 post #1, worker-2 semop #1
{{else}}
/* worker-2: the same order, so it
   only waits its turn: no cycle */
take(0);                              //@ worker-2 wait #0, worker-2 semop #0
usleep({{hold_ms:300}} * 1000);
take(1);                              //@ worker-2 wait #1, worker-2 semop #1
give(1);                              //@ worker-2 post #1, worker-2 semop #1
give(0);                              //@ worker-2 post #0, worker-2 semop #0
{{end}}
{{else}}
char buf[64];

/* parent: p1 carries worker-1's words,
   p2 worker-2's */
int p1[2], p2[2];
pipe2(p1, 0); pipe2(p2, 0);           //@ parent pipe2
/* it starts both workers, then closes
   its copies: one owner per end */
close(p1[0]); close(p1[1]);           //@ parent note close
close(p2[0]); close(p2[1]);

{{if order=opposite}}
/* worker-1: listens first */
if (read(p2[0], buf, 64) > 0)         //@ worker-1 read
    write(p1[1], buf, 64);            //@ worker-1 write
{{else}}
/* worker-1: speaks first */
write(p1[1], buf, 64);                //@ worker-1 write
read(p2[0], buf, 64);                 //@ worker-1 read
{{end}}

/* worker-2: listens first */
/* 0: worker-1 is gone, end of file */
if (read(p1[0], buf, 64) > 0)         //@ worker-2 read
    write(p2[1], buf, 64);            //@ worker-2 write
{{end}}`,
  go: String.raw`
// with this module's internal/ipc
{{if resource=semaphores}}
s, _ := ipc.Semget(key, 2,            //@ parent semget
	unix.IPC_CREAT|0o600)
// SemUndo: the kernel gives back what
// a killed process held
op := func(n uint16, d int16) error {
	b := ipc.Sembuf{Num: n, Op: d}
	b.Flg = ipc.SemUndo
	return ipc.Semop(s, b)
}
hold := {{hold_ms:300}} * time.Millisecond
// (the parent starts both workers)
defer ipc.SemRemove(s)                //@ parent semctl IPC_RMID

// worker-1: #0, then #1
op(0, -1)                             //@ worker-1 wait #0, worker-1 semop #0
time.Sleep(hold)
// waits for worker-2
op(1, -1)                             //@ worker-1 wait #1, worker-1 semop #1
op(1, +1)                             //@ worker-1 post #1, worker-1 semop #1
op(0, +1)                             //@ worker-1 post #0, worker-1 semop #0

{{if order=opposite}}
// worker-2: #1, then #0
op(1, -1)                             //@ worker-2 wait #1, worker-2 semop #1
time.Sleep(hold)
// waits for worker-1: a cycle
op(0, -1)                             //@ worker-2 wait #0, worker-2 semop #0
op(0, +1)                             //@ worker-2 post #0, worker-2 semop #0
op(1, +1)                             //@ worker-2 post #1, worker-2 semop #1
{{else}}
// worker-2: the same order, no cycle
op(0, -1)                             //@ worker-2 wait #0, worker-2 semop #0
time.Sleep(hold)
op(1, -1)                             //@ worker-2 wait #1, worker-2 semop #1
op(1, +1)                             //@ worker-2 post #1, worker-2 semop #1
op(0, +1)                             //@ worker-2 post #0, worker-2 semop #0
{{end}}
{{else}}
// parent: a pipe each way
r1, w1, _ := os.Pipe()                //@ parent pipe2
r2, w2, _ := os.Pipe()
// worker-1 gets r2 and w1, worker-2 r1
// and w2; then the parent closes all 4
w1.Close(); r1.Close()                //@ parent note close
w2.Close(); r2.Close()

// each worker: in reads what the other
// writes to out
buf := make([]byte, 64)
{{if order=opposite}}
// worker-1: listens first
if _, err := in.Read(buf); err == nil {  //@ worker-1 read
	out.Write(buf)                    //@ worker-1 write
}
{{else}}
// worker-1: speaks first
out.Write(buf)                        //@ worker-1 write
in.Read(buf)                          //@ worker-1 read
{{end}}

// worker-2: listens first; io.EOF
// when worker-1 is gone
if _, err := in.Read(buf); err == nil {  //@ worker-2 read
	out.Write(buf)                    //@ worker-2 write
}
{{end}}`,
};

// The parameters' values before a session runs.
export const defaults = { resource: 'semaphores', order: 'opposite' };

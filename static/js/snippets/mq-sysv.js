// Code for the System V message queue scenario: one queue, each consumer
// receives only its own type.
export default {
  c: String.raw`
#include <sys/msg.h>

struct msg { long type; char text[56]; } m;
int q = msgget(key, IPC_CREAT | 0600);   /* ipcs -q lists it */  //@ open, msgget
struct msqid_ds ds;
msgctl(q, IPC_STAT, &ds);
ds.msg_qbytes = 512;                      /* capacity in bytes */
msgctl(q, IPC_SET, &ds);

/* sender: the type is the address; no room: msgsnd waits */
m.type = consumer;                        /* 1, 2, 3 ... */
msgsnd(q, &m, sizeof m.text, 0);                    //@ send, msgsnd

/* consumer n: takes the oldest message of type n only */
msgrcv(q, &m, sizeof m.text, n, 0);   /* none yet: waits */  //@ recv, msgrcv

msgctl(q, IPC_RMID, NULL);   /* gone at once, messages too */  //@ unlink, msgctl IPC_RMID`,
  go: String.raw`
// with this module's internal/ipc: one small function per system call
q, _ := ipc.Msgget(key, unix.IPC_CREAT|0o600)       //@ open, msgget
ipc.MsgSetQbytes(q, 512)                             // capacity in bytes

// sender: the type is the address; no room: Msgsnd waits
ipc.Msgsnd(q, consumer, buf, 0)                      //@ send, msgsnd

// consumer n: only messages of type n
size, typ, _ := ipc.Msgrcv(q, buf, n, 0)             //@ recv, msgrcv

ipc.MsgRemove(q)                                     //@ unlink, msgctl IPC_RMID`,
};

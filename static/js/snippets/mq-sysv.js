// Code for the System V message queue scenario.
export default {
  c: String.raw`
#include <sys/msg.h>

struct msg { long type; char text[56]; } m;
int q = msgget(key, IPC_CREAT | 0600);          //@ open, msgget

/* sender: a full queue (msg_qbytes) makes msgsnd wait */
m.type = 1 + i % 3;
msgsnd(q, &m, sizeof m.text, 0);                //@ send, msgsnd

/* receiver: type 0 takes the oldest; type n takes the oldest of type n */
msgrcv(q, &m, sizeof m.text, 0, 0);             //@ recv, msgrcv

msgctl(q, IPC_RMID, NULL);                      //@ unlink, msgctl IPC_RMID`,
};

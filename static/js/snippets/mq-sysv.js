// Code for the System V message queue scenario: one queue, each consumer
// receives only its own type. Lines stay within 40 columns.
export default {
  c: String.raw`
#include <sys/msg.h>
#include <unistd.h>

enum {
    N = {{messages:18}},     /* messages */
    SIZE = {{size:64}},   /* bytes each */
    C = {{consumers:3}},       /* consumers */
};
struct msg {
    long type;        /* the address */
    char text[SIZE];
} m;

/* sender: a queue by key; ipcs -q */
int q = msgget(key, IPC_CREAT | 0600);  //@ sender open, sender msgget
struct msqid_ds ds;
msgctl(q, IPC_STAT, &ds);
ds.msg_qbytes = {{queue_bytes:512}}; /* capacity */
msgctl(q, IPC_SET, &ds);                //@ msgctl IPC_SET
for (long t = 1; t <= C; t++)
    if (fork() == 0) consumer(t);       //@ consumer spawn

/* no room in the queue: it waits */
{{if order=round-robin}}
for (long i = 0; i < N; i++) {
    m.type = 1 + i % C;  /* 1,2,3,1 */
    msgsnd(q, &m, SIZE, 0);             //@ send, msgsnd
}
{{else}}
for (long t = 1; t <= C; t++) {
    /* N/C each; extras to the first */
    long k = N / C + (t <= N % C);
    for (m.type = t; k > 0; k--)
        msgsnd(q, &m, SIZE, 0);         //@ send, msgsnd
}
{{end}}
/* once every consumer has ended */
msgctl(q, IPC_RMID, NULL); /* gone */   //@ sender unlink, msgctl IPC_RMID

/* consumer t: messages of type t */
int q = msgget(key, 0);                 //@ consumer open, consumer msgget
long k = N / C + (t <= N % C);
while (k-- > 0) {
{{if consumer_delay_ms!=0}}
    usleep({{consumer_delay_ms:40}} * 1000);  /* slow */
{{end}}
    /* none of type t: waits */
    msgrcv(q, &m, SIZE, t, 0);          //@ recv, msgrcv
}`,
  go: String.raw`
// with this module's internal/ipc
const n, size, c = {{messages:18}}, {{size:64}}, {{consumers:3}}

// sender: a queue by key; ipcs -q
q, _ := ipc.Msgget(key,                //@ sender open, sender msgget
	unix.IPC_CREAT|0o600)
// its capacity in bytes
ipc.MsgSetQbytes(q, {{queue_bytes:512}})  //@ msgctl IPC_SET
// (then it starts the consumers)
buf := make([]byte, size)
// no room in the queue: Msgsnd waits
{{if order=round-robin}}
for i := range n {
	ipc.Msgsnd(q, 1+i%c, buf, 0)  //@ send, msgsnd
}
{{else}}
for t := 1; t <= c; t++ {
	k := n / c
	if t <= n%c {
		k++ // the rest to the first
	}
	for range k {
		ipc.Msgsnd(q, t, buf, 0)  //@ send, msgsnd
	}
}
{{end}}
ipc.MsgRemove(q)  // once all ended  //@ sender unlink, msgctl IPC_RMID

// consumer t: messages of type t
q, _ := ipc.Msgget(key, 0)  //@ consumer open, consumer msgget
k := n / c
if t <= n%c {
	k++
}
for range k {
{{if consumer_delay_ms!=0}}
	time.Sleep({{consumer_delay_ms:40}} * time.Millisecond)
{{end}}
	// none of type t: waits
	ipc.Msgrcv(q, buf, t, 0)  //@ recv, msgrcv
}`,
};

// The parameters' values before a session runs.
export const defaults = { order: 'grouped', consumer_delay_ms: 40 };

// Code for the POSIX message queue scenario: producers and consumers
// around one queue, the highest priority out first. Lines stay within 40
// columns.
export default {
  c: String.raw`
#include <fcntl.h>
#include <mqueue.h>

enum {
    P = {{producers:2}},      /* producers */
    C = {{consumers:2}},      /* consumers */
    N = {{messages:30}},     /* messages */
    SIZE = {{size:64}},   /* bytes each */
};
char buf[SIZE];

/* producer-1 makes it (/dev/mqueue) */
struct mq_attr attr = {
    .mq_maxmsg = {{maxmsg:6}},  /* it holds */
    .mq_msgsize = SIZE,
};
mqd_t q = mq_open("/demo", O_WRONLY |  //@ producer-1 open, producer-1 mq_open
    O_CREAT | O_EXCL, 0600, &attr);
/* and starts the others */
if (fork() == 0) other();             //@ consumer spawn, producer-2 spawn, producer-3 spawn, producer-4 spawn

/* producer k, k = 1 to P */
mqd_t q = mq_open("/demo", O_WRONLY);  //@ producer open, producer mq_open
/* it sends k, k + P, k + 2P ... */
for (long i = k; i <= N; i += P) {
{{if priorities=urgent-every-5th}}
    /* every 5th is urgent */
    unsigned prio = i % 5 ? 1 : 9;
{{end}}
{{if priorities=mixed}}
    unsigned prio = 1 + i % 4;
{{end}}
{{if priorities=none}}
    unsigned prio = 0;
{{end}}
    /* full: mq_send waits */
    mq_send(q, buf, SIZE, prio);      //@ producer send, producer mq_timedsend
}
mq_close(q);                          //@ producer close, producer mq_close
/* producer-1, once all have ended */
mq_unlink("/demo");                   //@ producer unlink, producer mq_unlink

/* consumer k, k = 1 to C */
mqd_t q = mq_open("/demo", O_RDONLY);  //@ consumer open, consumer mq_open
long share = N / C + (k <= N % C);
unsigned prio;
while (share-- > 0) {
{{if consumer_delay_ms!=0}}
    usleep({{consumer_delay_ms:40}} * 1000);  /* slow */
{{end}}
    /* empty: waits. Out comes the
       oldest of the top priority */
    mq_receive(q, buf, SIZE, &prio);  //@ consumer recv, consumer mq_timedreceive
}
mq_close(q);                          //@ consumer close, consumer mq_close`,
  go: String.raw`
// with this module's internal/ipc
const (
	p    = {{producers:2}}  // producers
	c    = {{consumers:2}}  // consumers
	n    = {{messages:30}} // messages
	size = {{size:64}} // bytes each
)

// producer-1 makes it
attr := ipc.MqAttr{Maxmsg: {{maxmsg:6}},
	Msgsize: size}
q, _ := ipc.MqOpen("/demo",            //@ producer-1 open, producer-1 mq_open
	unix.O_WRONLY|unix.O_CREAT, 0o600,
	&attr)

// producer k sends k, k+p, k+2p ...
for i := k; i <= n; i += p {
{{if priorities=urgent-every-5th}}
	prio := uint(1)
	if i%5 == 0 {
		prio = 9 // urgent
	}
{{end}}
{{if priorities=mixed}}
	prio := uint(1 + i%4)
{{end}}
{{if priorities=none}}
	prio := uint(0)
{{end}}
	// full: waits (a zero deadline:
	// as long as it takes)
	ipc.MqTimedSend(q, buf, prio,     //@ producer send, producer mq_timedsend
		time.Time{})
}
unix.Close(q)                         //@ producer close, producer mq_close
ipc.MqUnlink("/demo")  // producer-1  //@ producer unlink, producer mq_unlink

// consumer k: its share of n
q, _ := ipc.MqOpen("/demo",            //@ consumer open, consumer mq_open
	unix.O_RDONLY, 0, nil)
share := n / c
if k <= n%c {
	share++
}
for range share {
{{if consumer_delay_ms!=0}}
	time.Sleep({{consumer_delay_ms:40}} * time.Millisecond)
{{end}}
	// highest priority, oldest first
	ipc.MqTimedReceive(q, buf,        //@ consumer recv, consumer mq_timedreceive
		time.Time{})
}
unix.Close(q)                         //@ consumer close, consumer mq_close`,
  py: String.raw`
# the posix_ipc package wraps mq_open
import posix_ipc, time

N, SIZE = {{messages:30}}, {{size:64}}
q = posix_ipc.MessageQueue(            #@ producer-1 open, producer-1 mq_open
    "/demo", posix_ipc.O_CREX,
    max_messages={{maxmsg:6}},
    max_message_size=SIZE)

# producer k
for i in range(k, N + 1, {{producers:2}}):
{{if priorities=urgent-every-5th}}
    prio = 9 if i % 5 == 0 else 1
{{end}}
{{if priorities=mixed}}
    prio = 1 + i % 4
{{end}}
{{if priorities=none}}
    prio = 0
{{end}}
    q.send(buf, priority=prio)  # waits  #@ producer send, producer mq_timedsend
q.close()                            #@ producer close, producer mq_close
q.unlink()           # producer-1    #@ producer unlink, producer mq_unlink

# consumer k
q = posix_ipc.MessageQueue("/demo")  #@ consumer open, consumer mq_open
for _ in range(share):
{{if consumer_delay_ms!=0}}
    time.sleep({{consumer_delay_ms:40}} / 1000)  # slow
{{end}}
    msg, prio = q.receive()  # waits  #@ consumer recv, consumer mq_timedreceive
q.close()                            #@ consumer close, consumer mq_close`,
};

// The parameters' values before a session runs.
export const defaults = { priorities: 'urgent-every-5th', consumer_delay_ms: 40 };

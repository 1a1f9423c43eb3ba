// Code for the POSIX message queue scenario.
export default {
  c: String.raw`
#include <fcntl.h>
#include <mqueue.h>

/* at most {{maxmsg:6}} messages of {{size:64}} bytes; ls /dev/mqueue lists it */
struct mq_attr attr = { .mq_maxmsg = {{maxmsg:6}}, .mq_msgsize = {{size:64}} };
mqd_t q = mq_open("/demo", O_CREAT | O_RDWR, 0600, &attr);  //@ open, mq_open

/* producer: a full queue makes mq_send wait */
unsigned prio = (i % 5 == 0) ? 9 : 1;   /* every 5th is urgent */
mq_send(q, buf, {{size:64}}, prio);                            //@ send, mq_timedsend

/* consumer: the oldest of the highest priority comes out */
unsigned got;
ssize_t n = mq_receive(q, buf, {{size:64}}, &got);  /* empty: waits */  //@ recv, mq_timedreceive

mq_close(q);                                          //@ close, mq_close
mq_unlink("/demo");  /* the queue goes once all closed it */  //@ unlink, mq_unlink`,
  go: String.raw`
// with this module's internal/ipc: one small function per system call
attr := ipc.MqAttr{Maxmsg: {{maxmsg:6}}, Msgsize: {{size:64}}}
q, _ := ipc.MqOpen("/demo", unix.O_CREAT|unix.O_RDWR, 0o600, &attr)  //@ open, mq_open

// producer: a full queue makes the send wait (here: up to a deadline)
prio := uint(1)
if i%5 == 0 {
	prio = 9 // urgent
}
ipc.MqTimedSend(q, buf, prio, time.Now().Add(time.Minute))  //@ send, mq_timedsend

// consumer: the highest priority first, then the oldest
n, got, _ := ipc.MqTimedReceive(q, buf, time.Now().Add(time.Minute))  //@ recv, mq_timedreceive

unix.Close(q)                                        //@ close, mq_close
ipc.MqUnlink("/demo")                                //@ unlink, mq_unlink`,
  py: String.raw`
import posix_ipc   # the posix_ipc package wraps mq_open and friends

q = posix_ipc.MessageQueue("/demo", posix_ipc.O_CREAT,
                           max_messages={{maxmsg:6}}, max_message_size={{size:64}})  #@ open, mq_open
q.send(buf, priority=9 if i % 5 == 0 else 1)  # full: waits  #@ send, mq_timedsend
msg, prio = q.receive()                       # empty: waits  #@ recv, mq_timedreceive
q.close()                                     #@ close, mq_close
q.unlink()                                    #@ unlink, mq_unlink`,
};

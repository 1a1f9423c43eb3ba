// Code for the POSIX message queue scenario.
export default {
  c: String.raw`
#include <mqueue.h>

struct mq_attr attr = { .mq_maxmsg = 6, .mq_msgsize = 64 };
mqd_t q = mq_open("/demo", O_CREAT | O_RDWR, 0600, &attr);  //@ open, mq_open

/* producer: a full queue makes mq_send wait */
unsigned prio = (i % 5 == 0) ? 9 : 1;
mq_send(q, buf, 64, prio);                     //@ send, mq_timedsend, mq_send

/* consumer: the highest priority comes out first */
unsigned got;
mq_receive(q, buf, 64, &got);                  //@ recv, mq_timedreceive, mq_receive

mq_close(q);                                   //@ close, mq_close
mq_unlink("/demo");     /* the name goes; the queue when all closed */  //@ unlink, mq_unlink`,
  py: String.raw`
import posix_ipc   # a third-party module wrapping mq_open and friends

q = posix_ipc.MessageQueue("/demo", posix_ipc.O_CREAT,
                           max_messages=6, max_message_size=64)  #@ open, mq_open
q.send(buf, priority=9 if i % 5 == 0 else 1)   #@ send, mq_timedsend
msg, prio = q.receive()                        #@ recv, mq_timedreceive
q.close()                                      #@ close
q.unlink()                                     #@ unlink`,
};

// Code for the Unix socket scenario in datagram mode: whole messages to a
// path, no connection to accept; a sender waits when the queue is full.
export default {
  c: String.raw`
/* server */
int s = socket(AF_UNIX, SOCK_DGRAM, 0);
bind(s, (struct sockaddr *)&addr, sizeof addr);  /* the path appears */  //@ server open
char buf[64];
for (;;) {
    struct pollfd p = { .fd = s, .events = POLLIN };
    poll(&p, 1, -1);                 /* waits for a datagram */  //@ server poll
    recv(s, buf, sizeof buf, 0);     /* one whole datagram */  //@ server recv, server recvmsg
}
close(s);                                            //@ server close
unlink("demo.sock");             /* the path stays until unlinked */  //@ server unlink

/* client */
int c = socket(AF_UNIX, SOCK_DGRAM, 0);
connect(c, (struct sockaddr *)&addr, sizeof addr);   /* only names the peer */  //@ client connect
send(c, buf, sizeof buf, 0);     /* waits while the server's queue is full */  //@ client send
close(c);                                            //@ client close`,
  go: String.raw`
// server
pc, _ := net.ListenPacket("unixgram", "demo.sock")   //@ server open
buf := make([]byte, 64)
for {
	if _, _, err := pc.ReadFrom(buf); err != nil { // waits for a datagram  //@ server recv, server recvmsg, server poll
		break
	}
}
pc.Close()                                           //@ server close
os.Remove("demo.sock")                               //@ server unlink

// client
c, _ := net.Dial("unixgram", "demo.sock")           //@ client connect
c.Write(buf)                     // waits while the queue is full  //@ client send
c.Close()                                            //@ client close`,
  py: String.raw`
import os, socket

# server
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("demo.sock")                                  #@ server open
while True:
    data = s.recv(64)            # waits for a datagram  #@ server recv, server recvmsg, server poll
s.close()                                            #@ server close
os.unlink("demo.sock")                               #@ server unlink

# client
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
c.connect("demo.sock")                               #@ client connect
c.send(data)                     # waits while the queue is full  #@ client send
c.close()                                            #@ client close`,
};

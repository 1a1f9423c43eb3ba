// Code for the UDP scenario: no listen, no accept, no connection; each
// datagram lands whole in the server's buffer or is dropped.
export default {
  c: String.raw`
/* server */
int s = socket(AF_INET, SOCK_DGRAM, 0);
bind(s, (struct sockaddr *)&addr, sizeof addr);  /* port 0: the kernel picks */  //@ server open
char buf[64];
struct sockaddr_in from; socklen_t len = sizeof from;
for (;;) {
    struct pollfd p = { .fd = s, .events = POLLIN };
    poll(&p, 1, -1);                 /* waits for a datagram */  //@ server poll
    ssize_t n = recvfrom(s, buf, sizeof buf, 0,  //@ server recv, server recvmsg
                         (struct sockaddr *)&from, &len);
    /* a number that never came: the kernel dropped it */  //@ server lost
}
close(s);                                            //@ server close

/* client */
int c = socket(AF_INET, SOCK_DGRAM, 0);
connect(c, (struct sockaddr *)&addr, sizeof addr);   /* only sets the default address */  //@ client connect
send(c, buf, sizeof buf, 0);     /* never waits for the server */  //@ client send
close(c);                                            //@ client close`,
  go: String.raw`
// server
pc, _ := net.ListenPacket("udp", "127.0.0.1:0")      //@ server open
buf := make([]byte, 64)
for {
	n, from, err := pc.ReadFrom(buf) // waits for a datagram  //@ server recv, server recvmsg, server poll
	if err != nil {
		break
	}
	_, _ = n, from // a missing number was dropped  //@ server lost
}
pc.Close()                                           //@ server close

// client
c, _ := net.Dial("udp", pc.LocalAddr().String())    // no handshake  //@ client connect
c.Write(buf)                     // may be lost      //@ client send
c.Close()                                            //@ client close`,
  py: String.raw`
import socket

# server
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))                             #@ server open
while True:
    data, sender = s.recvfrom(64)   # waits for a datagram  #@ server recv, server recvmsg, server poll
    # a number that never came was dropped by the kernel  #@ server lost
s.close()                                            #@ server close

# client
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.connect(("127.0.0.1", port))   # no handshake      #@ client connect
c.send(data)                     # may be lost       #@ client send
c.close()                                            #@ client close`,
};

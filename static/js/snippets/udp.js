// Code for the UDP scenario: no listen, no accept, no connection; each
// datagram lands whole in the server's buffer or is dropped. Lines stay
// within 40 columns.
export default {
  c: String.raw`
enum {
    CLIENTS = {{clients:2}},
    N = {{messages:50}},     /* per client */
    SIZE = {{size:64}},   /* bytes each */
};
char buf[SIZE];

/* server: port 0, the kernel picks */
struct sockaddr_in a = { AF_INET };
a.sin_addr.s_addr =
    htonl(INADDR_LOOPBACK);
int s = socket(AF_INET, SOCK_DGRAM, 0);  //@ server open, server socket+bind
{{if buffer!=0}}
/* what may wait to be read; the
   kernel doubles it */
int rcv = {{buffer:0}};
setsockopt(s, SOL_SOCKET, SO_RCVBUF,
    &rcv, sizeof rcv);
{{end}}
bind(s, (void *)&a, sizeof a);
for (int i = 0; i < CLIENTS; i++)
    if (fork() == 0) client();        //@ client spawn
struct pollfd p = { s, POLLIN };
for (;;) {   /* till the clients end */
{{if reader_delay_ms!=0}}
    usleep({{reader_delay_ms:0}} * 1000);  /* slow */
{{end}}
    /* one datagram, if one waits */
    if (recv(s, buf, SIZE,            //@ server recv, server recvmsg
             MSG_DONTWAIT) < 0)
        poll(&p, 1, -1);  /* wait */  //@ server poll
}
/* a number that never came: dropped,  //@ server lost
   the buffer was full */
close(s);                             //@ server close

/* client */
int c = socket(AF_INET, SOCK_DGRAM, 0);
/* only sets where datagrams go */
connect(c, (void *)&a, sizeof a);     //@ client connect
for (int k = 0; k < N; k++)
    /* never waits for the server */
    send(c, buf, SIZE, 0);            //@ client send
close(c);                             //@ client close`,
  go: String.raw`
const (
	clients = {{clients:2}}
	n       = {{messages:50}} // per client
	size    = {{size:64}} // bytes each
)

// server: port 0, the kernel picks
pc, _ := net.ListenPacket("udp",      //@ server open, server socket+bind
	"127.0.0.1:0")
{{if buffer!=0}}
uc := pc.(*net.UDPConn)
uc.SetReadBuffer({{buffer:0}})
{{end}}
buf := make([]byte, size)
for {
{{if reader_delay_ms!=0}}
	time.Sleep({{reader_delay_ms:0}} * time.Millisecond)
{{end}}
	// waits for a datagram
	_, _, err := pc.ReadFrom(buf)     //@ server recv, server recvmsg, server poll
	if err != nil {
		break
	}
}
// a number that never came: dropped   //@ server lost
pc.Close()                            //@ server close

// client
c, _ := net.Dial("udp", addr)         //@ client connect
for range n {
	c.Write(buf) // may be lost       //@ client send
}
c.Close()                             //@ client close`,
  py: String.raw`
import socket, time

CLIENTS, N, SIZE = {{clients:2}}, {{messages:50}}, {{size:64}}

# server: port 0, the kernel picks
s = socket.socket(socket.AF_INET,  #@ server open, server socket+bind
                  socket.SOCK_DGRAM)
{{if buffer!=0}}
s.setsockopt(socket.SOL_SOCKET,
             socket.SO_RCVBUF, {{buffer:0}})
{{end}}
s.bind(("127.0.0.1", 0))
while True:
{{if reader_delay_ms!=0}}
    time.sleep({{reader_delay_ms:0}} / 1000)  # slow
{{end}}
    s.recv(SIZE)  # waits for one    #@ server recv, server recvmsg, server poll
# a number that never came: dropped  #@ server lost
s.close()                            #@ server close

# client
c = socket.socket(socket.AF_INET,
                  socket.SOCK_DGRAM)
c.connect(("127.0.0.1", port))       #@ client connect
for _ in range(N):
    c.send(bytes(SIZE))  # may be lost  #@ client send
c.close()                            #@ client close`,
};

// The parameters' values before a session runs.
export const defaults = { buffer: 0, reader_delay_ms: 0 };

// Code for the Unix socket scenario in datagram mode: whole messages to a
// path, no connection to accept; a sender waits when the queue is full.
// Lines stay within 40 columns.
export default {
  c: String.raw`
enum {
    CLIENTS = {{clients:2}},
    N = {{messages:12}},     /* per client */
    SIZE = {{size:64}},   /* bytes each */
};
char buf[SIZE];

/* server: bind makes the path */
struct sockaddr_un a = { AF_UNIX };
strcpy(a.sun_path, "demo.sock");
int s = socket(AF_UNIX,               //@ server open, server socket+bind
    SOCK_DGRAM, 0);
bind(s, (void *)&a, sizeof a);
for (int i = 0; i < CLIENTS; i++)
    if (fork() == 0) client();        //@ client spawn
struct pollfd p = { s, POLLIN };
int got = 0;
while (got < N * CLIENTS) {
{{if reader_delay_ms!=0}}
    usleep({{reader_delay_ms:0}} * 1000);  /* slow */
{{end}}
    /* one datagram, if one waits */
    if (recv(s, buf, SIZE,            //@ server recv, server recvmsg
             MSG_DONTWAIT) > 0)
        got++;
    else     /* none: wait for one */
        poll(&p, 1, -1);              //@ server poll
}
close(s);                             //@ server close
/* the path stays until unlinked */
unlink("demo.sock");                  //@ server unlink

/* client */
int c = socket(AF_UNIX, SOCK_DGRAM, 0);
{{if buffer!=0}}
/* the kernel doubles it */
int snd = {{buffer:0}};
setsockopt(c, SOL_SOCKET, SO_SNDBUF,
    &snd, sizeof snd);
{{end}}
/* only names the peer: no handshake */
connect(c, (void *)&a, sizeof a);     //@ client connect
for (int k = 0; k < N; k++)
    /* queue full: send waits */
    send(c, buf, SIZE, 0);            //@ client send
close(c);                             //@ client close`,
  go: String.raw`
const (
	clients = {{clients:2}}
	n       = {{messages:12}} // per client
	size    = {{size:64}} // bytes each
)

// server
pc, _ := net.ListenPacket("unixgram",  //@ server open, server socket+bind
	"demo.sock")
buf := make([]byte, size)
for range n * clients {
{{if reader_delay_ms!=0}}
	time.Sleep({{reader_delay_ms:0}} * time.Millisecond)
{{end}}
	// none yet: ReadFrom waits
	pc.ReadFrom(buf)                  //@ server recv, server recvmsg, server poll
}
pc.Close()                            //@ server close
os.Remove("demo.sock")                //@ server unlink

// client
c, _ := net.Dial("unixgram",          //@ client connect
	"demo.sock")
{{if buffer!=0}}
uc := c.(*net.UnixConn)
uc.SetWriteBuffer({{buffer:0}})
{{end}}
for range n {
	c.Write(buf) // queue full: waits //@ client send
}
c.Close()                             //@ client close`,
  py: String.raw`
import os, socket, time

CLIENTS, N, SIZE = {{clients:2}}, {{messages:12}}, {{size:64}}

# server
s = socket.socket(socket.AF_UNIX,  #@ server open, server socket+bind
                  socket.SOCK_DGRAM)
s.bind("demo.sock")
for _ in range(N * CLIENTS):
{{if reader_delay_ms!=0}}
    time.sleep({{reader_delay_ms:0}} / 1000)  # slow
{{end}}
    s.recv(SIZE)  # waits for one    #@ server recv, server recvmsg, server poll
s.close()                            #@ server close
os.unlink("demo.sock")               #@ server unlink

# client
c = socket.socket(socket.AF_UNIX,
                  socket.SOCK_DGRAM)
{{if buffer!=0}}
c.setsockopt(socket.SOL_SOCKET,
             socket.SO_SNDBUF, {{buffer:0}})
{{end}}
c.connect("demo.sock")               #@ client connect
for _ in range(N):
    c.send(bytes(SIZE))  # may wait  #@ client send
c.close()                            #@ client close`,
};

// The parameters' values before a session runs.
export const defaults = { buffer: 0, reader_delay_ms: 0 };

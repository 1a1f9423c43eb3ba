// Code for the Unix socket scenario in stream mode: a listening socket at a
// path in the file system, one connection per client; TCP has its own.
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
int l = socket(AF_UNIX,               //@ server open, server socket+bind+listen
    SOCK_STREAM, 0);
bind(l, (void *)&a, sizeof a);
listen(l, CLIENTS);
int c[CLIENTS];
for (int i = 0; i < CLIENTS; i++) {
    if (fork() == 0) client();        //@ client spawn
    /* waits for the client */
    c[i] = accept(l, NULL, NULL);     //@ server accept
}
close(l);                             //@ server close
/* the path stays until unlinked */
unlink("demo.sock");                  //@ server unlink
/* a message from each client in turn;
   none yet: recv waits */
for (int m = 0; m < N * CLIENTS; m++) {
{{if reader_delay_ms!=0}}
    usleep({{reader_delay_ms:0}} * 1000);  /* slow */
{{end}}
    int i = m % CLIENTS;
    recv(c[i], buf, SIZE, MSG_WAITALL);  //@ server recv
}
/* 0: the client closed */
for (int i = 0; i < CLIENTS; i++)
    if (recv(c[i], buf, SIZE, 0) == 0)
        close(c[i]);                  //@ server close

/* client */
int s = socket(AF_UNIX,
    SOCK_STREAM, 0);
{{if buffer!=0}}
/* the kernel doubles it */
int snd = {{buffer:0}};
setsockopt(s, SOL_SOCKET, SO_SNDBUF,
    &snd, sizeof snd);
{{end}}
connect(s, (void *)&a, sizeof a);     //@ client connect
for (int k = 0; k < N; k++)
    /* buffer full: send waits */
    send(s, buf, SIZE, 0);            //@ client send
close(s);                             //@ client close`,
  go: String.raw`
const (
	clients = {{clients:2}}
	n       = {{messages:12}} // per client
	size    = {{size:64}} // bytes each
)

// server: Listen makes the path
ln, _ := net.Listen("unix",           //@ server open, server socket+bind+listen
	"demo.sock")
var cs []net.Conn
for range clients {
	// start a client, wait for it
	c, _ := ln.Accept()               //@ server accept
	cs = append(cs, c)
}
ln.Close()  // and removes the path   //@ server close, server unlink
buf := make([]byte, size)
for m := range n * clients {
{{if reader_delay_ms!=0}}
	time.Sleep({{reader_delay_ms:0}} * time.Millisecond)
{{end}}
	// none yet: ReadFull waits
	io.ReadFull(cs[m%clients], buf)   //@ server recv
}
for _, c := range cs {
	c.Read(buf) // io.EOF: it closed
	c.Close()                         //@ server close
}

// client
s, _ := net.Dial("unix", "demo.sock")  //@ client connect
{{if buffer!=0}}
uc := s.(*net.UnixConn)
uc.SetWriteBuffer({{buffer:0}})
{{end}}
for range n {
	s.Write(buf) // full: waits       //@ client send
}
s.Close()                             //@ client close`,
  py: String.raw`
import os, socket, time

CLIENTS, N, SIZE = {{clients:2}}, {{messages:12}}, {{size:64}}

# server: bind makes the path
l = socket.socket(socket.AF_UNIX,  #@ server open, server socket+bind+listen
                  socket.SOCK_STREAM)
l.bind("demo.sock")
l.listen(CLIENTS)
cs = [l.accept()[0]                  #@ server accept
      for _ in range(CLIENTS)]
l.close()                            #@ server close
os.unlink("demo.sock")               #@ server unlink
for m in range(N * CLIENTS):
{{if reader_delay_ms!=0}}
    time.sleep({{reader_delay_ms:0}} / 1000)  # slow
{{end}}
    c = cs[m % CLIENTS]
    c.recv(SIZE, socket.MSG_WAITALL)  #@ server recv
for c in cs:
    c.recv(SIZE)  # b"": it closed
    c.close()                        #@ server close

# client
s = socket.socket(socket.AF_UNIX)
{{if buffer!=0}}
s.setsockopt(socket.SOL_SOCKET,
             socket.SO_SNDBUF, {{buffer:0}})
{{end}}
s.connect("demo.sock")               #@ client connect
for _ in range(N):
    s.sendall(bytes(SIZE))  # waits   #@ client send
s.close()                            #@ client close`,
};

// The parameters' values before a session runs.
export const defaults = { buffer: 0, reader_delay_ms: 0 };

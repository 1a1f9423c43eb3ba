// Code for the Unix socket scenario in stream mode: a listening socket at a
// path in the file system, one connection per client; TCP has its own.
export default {
  c: String.raw`
/* server */
struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "demo.sock" };
int l = socket(AF_UNIX, SOCK_STREAM, 0);
bind(l, (struct sockaddr *)&addr, sizeof addr);  /* the path appears */
listen(l, 8);                                        //@ server open
int c = accept(l, NULL, NULL);   /* waits for a client */  //@ server accept
char buf[64];
while (recv(c, buf, sizeof buf, 0) > 0)  /* waits for data */  //@ server recv, server poll
    ;                            /* 0: the client closed */
close(c);                                            //@ server close
unlink("demo.sock");             /* the path stays until unlinked */  //@ server unlink

/* client */
int s = socket(AF_UNIX, SOCK_STREAM, 0);
connect(s, (struct sockaddr *)&addr, sizeof addr);   //@ client connect
send(s, buf, sizeof buf, 0);     /* waits while the buffers are full */  //@ client send
close(s);                                            //@ client close`,
  go: String.raw`
// server
ln, _ := net.Listen("unix", "demo.sock")             //@ server open
c, _ := ln.Accept()              // waits for a client  //@ server accept
buf := make([]byte, 64)
for {
	if _, err := c.Read(buf); err != nil { // waits for data  //@ server recv, server poll
		break // io.EOF: the client closed
	}
}
c.Close()                                            //@ server close
ln.Close()                       // net removes the path  //@ server unlink

// client
s, _ := net.Dial("unix", "demo.sock")                //@ client connect
s.Write(buf)                     // waits while the buffers are full  //@ client send
s.Close()                                            //@ client close`,
  py: String.raw`
import os, socket

# server
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
l.bind("demo.sock"); l.listen()                      #@ server open
c, _ = l.accept()               # waits for a client #@ server accept
while c.recv(64):               # b"": the client closed  #@ server recv, server poll
    pass
c.close()                                            #@ server close
os.unlink("demo.sock")                               #@ server unlink

# client
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("demo.sock")                               #@ client connect
s.sendall(buf)                  # waits while the buffers are full  #@ client send
s.close()                                            #@ client close`,
};

// Code for the TCP scenario; Unix sockets and UDP have their own.
export default {
  c: String.raw`
/* server */
struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
int l = socket(AF_INET, SOCK_STREAM, 0);
bind(l, (struct sockaddr *)&addr, sizeof addr);  /* port 0: the kernel picks one */
listen(l, 8);                                        //@ server open
int c = accept(l, NULL, NULL);   /* waits for a client */  //@ server accept
char buf[64];
while (recv(c, buf, sizeof buf, 0) > 0)  /* waits for data */  //@ server recv, server poll
    ;                            /* 0: the client closed */
close(c);                                            //@ server close

/* client */
int s = socket(AF_INET, SOCK_STREAM, 0);
connect(s, (struct sockaddr *)&addr, sizeof addr);   //@ client connect
send(s, buf, sizeof buf, 0);     /* waits while the buffers are full */  //@ client send
close(s);                                            //@ client close`,
  go: String.raw`
// server
ln, _ := net.Listen("tcp", "127.0.0.1:0")            //@ server open
c, _ := ln.Accept()              // waits for a client  //@ server accept
buf := make([]byte, 64)
for {
	if _, err := c.Read(buf); err != nil { // waits for data  //@ server recv, server poll
		break // io.EOF: the client closed
	}
}
c.Close()                                            //@ server close

// client
s, _ := net.Dial("tcp", ln.Addr().String())          //@ client connect
s.Write(buf)                                         //@ client send
s.Close()                                            //@ client close`,
  py: String.raw`
import socket

# server
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.bind(("127.0.0.1", 0)); l.listen()                 #@ server open
c, _ = l.accept()               # waits for a client #@ server accept
while c.recv(64):               # b"": the client closed  #@ server recv, server poll
    pass
c.close()                                            #@ server close

# client
s = socket.create_connection(("127.0.0.1", port))    #@ client connect
s.sendall(buf)                  # waits while the buffers are full  #@ client send
s.close()                                            #@ client close`,
};

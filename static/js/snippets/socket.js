// Code for the stream socket scenarios (Unix and TCP); UDP has its own.
export default {
  c: String.raw`
/* server */
int l = socket(AF_INET, SOCK_STREAM, 0); /* AF_UNIX; SOCK_DGRAM: UDP */
bind(l, (struct sockaddr *)&addr, sizeof addr);
listen(l, 8);                                        //@ server open
int c = accept(l, NULL, NULL);   /* waits for a client */  //@ server accept
char buf[64];
while (recv(c, buf, sizeof buf, 0) > 0)  /* waits for data */  //@ server recv, server poll
    ;                            /* 0: the client closed */
close(c);                                            //@ server close
unlink("demo.sock");             /* AF_UNIX: the path stays */  //@ server unlink

/* client */
int s = socket(AF_INET, SOCK_STREAM, 0);
connect(s, (struct sockaddr *)&addr, sizeof addr);   //@ client connect
send(s, buf, sizeof buf, 0);   /* UDP: may be lost */  //@ client send
close(s);                                            //@ client close`,
  go: String.raw`
// server ("unix" with a path; net.ListenPacket("udp", ...) for UDP)
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

# server (AF_UNIX with a path; SOCK_DGRAM and recvfrom for UDP)
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.bind(("127.0.0.1", 0)); l.listen()                 #@ server open
c, _ = l.accept()               # waits for a client #@ server accept
while c.recv(64):               # b"": the client closed  #@ server recv, server poll
    pass
c.close()                                            #@ server close

# client
s = socket.create_connection(("127.0.0.1", port))    #@ client connect
s.sendall(buf)                  # UDP: sendto, may be lost  #@ client send
s.close()                                            #@ client close`,
};

// Code for the socket scenarios (Unix, TCP, UDP).
export default {
  c: String.raw`
/* server */
int l = socket(AF_INET, SOCK_STREAM, 0);       /* SOCK_DGRAM for UDP */
bind(l, (struct sockaddr *)&addr, sizeof addr);
listen(l, 1);                                  //@ open, socket+bind+listen, socket+bind
int c = accept(l, NULL, NULL);                 //@ accept, accept4
char buf[64];
while (recv(c, buf, sizeof buf, 0) > 0)        //@ recv, poll
    ;                   /* 0: the client closed */

/* client */
int s = socket(AF_INET, SOCK_STREAM, 0);
connect(s, (struct sockaddr *)&addr, sizeof addr);  //@ connect
send(s, buf, sizeof buf, 0);   /* UDP: may be lost */  //@ send
close(s);                                      //@ close`,
  go: String.raw`
// server
ln, _ := net.Listen("tcp", "127.0.0.1:0")      //@ open, socket+bind+listen
c, _ := ln.Accept()                            //@ accept, accept4
buf := make([]byte, 64)
for {
	if _, err := c.Read(buf); err != nil {    //@ recv
		break // io.EOF: the client closed
	}
}

// client
s, _ := net.Dial("tcp", ln.Addr().String())    //@ connect
s.Write(buf)                                   //@ send
s.Close()                                      //@ close`,
};

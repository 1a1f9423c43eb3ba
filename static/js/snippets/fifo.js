// Code for the FIFO scenario: two unrelated programs meet at a path. A
// trailing "//@" or "#@" comment names the events a line makes.
export default {
  c: String.raw`
/* writer: makes the FIFO, then opens it */
mkfifo("channel.fifo", 0600);                         //@ writer mkfifo
int w = open("channel.fifo", O_WRONLY); /* waits for a reader */  //@ writer open
char buf[64];
for (long i = 1; i <= N; i++)
    write(w, buf, sizeof buf);  /* full FIFO: write waits */  //@ writer write
close(w);                                             //@ writer close
unlink("channel.fifo");  /* the name goes; open ends work on */  //@ writer unlink

/* reader: another program, the same path */
int r = open("channel.fifo", O_RDONLY | O_NONBLOCK);  //@ reader open
fcntl(r, F_SETFL, 0);                  /* reads may wait again */
while (read(r, buf, sizeof buf) > 0)   /* empty FIFO: read waits */  //@ reader read
    ;                                  /* 0: every writer closed */
close(r);                                             //@ reader close`,
  go: String.raw`
// writer
unix.Mkfifo("channel.fifo", 0o600)                   //@ writer mkfifo
w, _ := os.OpenFile("channel.fifo", os.O_WRONLY, 0)  //@ writer open
buf := make([]byte, 64)
for i := 1; i <= n; i++ {
	w.Write(buf) // full FIFO: Write waits             //@ writer write
}
w.Close()                                            //@ writer close
os.Remove("channel.fifo")                            //@ writer unlink

// reader, another program
r, _ := os.OpenFile("channel.fifo", os.O_RDONLY, 0)  //@ reader open
for {
	if _, err := r.Read(buf); err != nil {           //@ reader read
		break // io.EOF: every writer closed
	}
}
r.Close()                                            //@ reader close`,
  py: String.raw`
import os

# writer
os.mkfifo("channel.fifo", 0o600)                     #@ writer mkfifo
w = os.open("channel.fifo", os.O_WRONLY)  # waits for a reader  #@ writer open
for i in range(1, N + 1):
    os.write(w, i.to_bytes(8, "little").ljust(64))   #@ writer write
os.close(w)                                          #@ writer close
os.unlink("channel.fifo")                            #@ writer unlink

# reader, another program
r = os.open("channel.fifo", os.O_RDONLY)             #@ reader open
while os.read(r, 64):       # b"": every writer closed  #@ reader read
    pass
os.close(r)                                          #@ reader close`,
};

nop
.print "0f0b,1,injected"
nop

nop
.ds.b 1000000000
nop

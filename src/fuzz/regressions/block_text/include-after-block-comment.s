nop
/* x */ .include "/etc/hostname"

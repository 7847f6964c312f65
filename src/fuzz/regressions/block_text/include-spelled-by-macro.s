.macro m a
.inc\a "/etc/hostname"
.endm
m lude

/etc/qbitrr-lite/

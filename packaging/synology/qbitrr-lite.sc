[qbitrr-lite]
title="qbitrr-lite"
desc="qbitrr-lite status server (GET /health)"
port_forward="no"
dst.ports="6969/tcp"

#!/bin/sh
# Prints the configuration of a private InfluxDB 1.x (Debian's influxd) for
# the demo and the tests: data under DIR, HTTP on 127.0.0.1:HTTP_PORT, its
# backup/RPC service on 127.0.0.1:RPC_PORT, nothing reported home, no
# retention or monitor jobs, warnings only. AUTH=true requires users.
# usage: scripts/influxd-conf.sh DIR HTTP_PORT RPC_PORT [AUTH] >influxd.conf
set -eu
[ $# -ge 3 ] || { echo "usage: $0 DIR HTTP_PORT RPC_PORT [true|false]" >&2; exit 2; }
cat <<EOC
reporting-disabled = true
bind-address = "127.0.0.1:$3"
[meta]
  dir = "$1/meta"
  logging-enabled = false
[data]
  dir = "$1/data"
  wal-dir = "$1/wal"
  query-log-enabled = false
[coordinator]
[retention]
  enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$2"
  log-enabled = false
  auth-enabled = ${4:-false}
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
EOC

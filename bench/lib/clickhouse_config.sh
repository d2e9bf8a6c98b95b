# Sourced by the side-by-side benchmarks: writes the config.xml and users.xml of a private
# ClickHouse 18.16 server (loopback only, no packaged service) into DIR.
# Usage: write_clickhouse_config DIR HTTP_PORT TCP_PORT THREADS [EXTRA_PROFILE_XML]
write_clickhouse_config() {
  local dir=$1 http_port=$2 tcp_port=$3 threads=$4 extra=${5:-}
  mkdir -p "$dir"/{data,tmp,log,user_files,format_schemas}
  cat > "$dir/config.xml" << EOF
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/server.err.log</errorlog><size>100M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http_port</http_port><tcp_port>$tcp_port</tcp_port>
  <max_connections>64</max_connections><keep_alive_timeout>3</keep_alive_timeout><max_concurrent_queries>16</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size><mark_cache_size>268435456</mark_cache_size>
  <path>$dir/data/</path><tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path><format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <timezone>UTC</timezone><mlock_executable>false</mlock_executable>
</yandex>
EOF
  cat > "$dir/users.xml" << EOF
<yandex>
  <profiles><default>
    <max_memory_usage>8000000000</max_memory_usage><max_threads>$threads</max_threads>
    <use_uncompressed_cache>0</use_uncompressed_cache>$extra
  </default></profiles>
  <users><default>
    <password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota>
  </default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
}

# Sets CH_HTTP_PORT and CH_TCP_PORT to two free consecutive loopback ports; returns 1 when
# none was found in 50 tries.
pick_clickhouse_ports() {
  local _
  port_free() { ! (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
  for _ in $(seq 50); do
    CH_HTTP_PORT=$((20000 + RANDOM % 20000))
    CH_TCP_PORT=$((CH_HTTP_PORT + 1))
    port_free "$CH_HTTP_PORT" && port_free "$CH_TCP_PORT" && return 0
  done
  return 1
}

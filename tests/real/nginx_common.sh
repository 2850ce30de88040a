# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# nginx_common.sh - the nginx set-up shared by nginx.sh and nginx_attach.sh (the same server,
# run under the preload there and attached to here).

# nginx_setup: in the current directory, an nginx.conf for a master with two workers on a
# free loopback port (sets port) serving www/ (index.html, big.txt; /hello by a return
# directive), with its pid, logs and temporary files under the current directory too.
nginx_setup() {
	local dir=$PWD
	port=$(free_port)
	mkdir -p www tmp logs
	chmod 755 "$dir" www
	echo "static file" >www/index.html
	seq 1 20000 >www/big.txt
	cat >nginx.conf <<CONF
daemon off;
master_process on;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $dir/www;
        location = /hello { return 200 "hello from nginx\n"; }
    }
}
CONF
}

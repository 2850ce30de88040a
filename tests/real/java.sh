# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# java.sh - OpenJDK 17 running Workload.java (compiled natively with javac first): threads, an
# ExecutorService, collections, string building, ProcessBuilder. The JVM installs its own
# signal handlers and uses SIGSEGV internally, so the preload's sigaction hooks are on trial.
pkgs_java() { echo openjdk-17-jdk-headless; }
limit_java() { echo 120; }
case_java() {
	cp "$(dirname "${BASH_SOURCE[0]}")/Workload.java" .
	javac -d . Workload.java
	lkr_under java -Xmx128m -XX:+UseSerialGC -cp . Workload
}

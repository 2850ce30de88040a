# SPDX-License-Identifier: MIT
# Workload for the real-program matrix (tests/real/perl.sh). Deterministic output only.
use strict;
use warnings;

my %h;
$h{"key$_"} = "value" x ($_ % 7) for 1 .. 50000;
my @k = sort { length($h{$a}) <=> length($h{$b}) or $a cmp $b } keys %h;
print "keys ", scalar(@k), " first $k[0] last $k[-1]\n";

my $text = join(" ", map { "word$_" } 1 .. 20000);
my $count = () = $text =~ /word\d*7\b/g;
print "regex matches $count\n";
(my $t2 = $text) =~ s/word(\d+)/W$1/g;
print "substituted length ", length($t2), "\n";

for my $i (1 .. 5) {
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		my @a = map { $_ * $i } 1 .. 1000;
		exit($i + 10);
	}
	waitpid($pid, 0);
	print "child $i exited ", $? >> 8, "\n";
}

open(my $fh, "-|", "sh", "-c", "printf 'z\\ny\\nx\\n' | sort") or die "open: $!";
my @lines = <$fh>;
close($fh);
chomp @lines;
print "pipe open: @lines\n";
my $bt = `echo backticks`;
print "backticks: $bt";
my @refs = map { { id => $_, list => [ 1 .. $_ % 50 ] } } 1 .. 10000;
my $sum = 0;
$sum += scalar(@{ $_->{list} }) for @refs;
print "refs $sum\n";

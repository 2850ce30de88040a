// SPDX-License-Identifier: MIT
// Workload for the real-program matrix (tests/real/java.sh). Deterministic output only.
import java.util.*;
import java.util.concurrent.*;

public class Workload {
    public static void main(String[] args) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Long>> futures = new ArrayList<>();
        for (int t = 1; t <= 8; t++) {
            final int n = t;
            futures.add(pool.submit(() -> {
                long s = 0;
                for (int i = 0; i < n * 200000; i++) s = (s + (long) i * i) % 1000003;
                return s;
            }));
        }
        StringBuilder sb = new StringBuilder();
        for (Future<Long> f : futures) sb.append(f.get()).append(' ');
        pool.shutdown();
        pool.awaitTermination(30, TimeUnit.SECONDS);
        System.out.println("futures " + sb.toString().trim());
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < 200000; i++) m.merge("k" + (i % 1000), 1, Integer::sum);
        System.out.println("map " + m.size() + " " + m.get("k7"));
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < 100000; i++) list.add((i * 7919) % 100000);
        Collections.sort(list);
        System.out.println("sorted " + list.get(0) + " " + list.get(99999));
        Thread[] ts = new Thread[4];
        final long[] counts = new long[4];
        for (int i = 0; i < 4; i++) {
            final int k = i;
            ts[i] = new Thread(() -> {
                for (int j = 0; j < 100000; j++) counts[k] += new byte[64].length;
            });
            ts[i].start();
        }
        for (Thread t : ts) t.join();
        System.out.println("threads " + Arrays.toString(counts));
        Process p = new ProcessBuilder("sh", "-c", "echo from a child process").start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        System.out.println(out + ", exit " + p.waitFor());
    }
}

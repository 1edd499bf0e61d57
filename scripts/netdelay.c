/*
 * netdelay QUEUE DELAY_MS: holds every packet that nftables sends to NFQUEUE number QUEUE for
 * DELAY_MS, then lets it go, in arrival order. The drills' stand-in for `tc qdisc ... netem
 * delay` on kernels built without sch_netem (packet loss needs no helper: nftables' numgen drops
 * packets itself). Runs until killed; a packet still held then is dropped, as on a cut link.
 *
 * Built by scripts/netfaults: cc -O2 -o netdelay netdelay.c -lnetfilter_queue
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define HELD 65536 /* bounded: beyond this many packets in flight, new ones are dropped (a full link) */

static struct { uint32_t id; int64_t due; } held[HELD];
static size_t head, count;
static int64_t delay_ns;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec;
}

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
    (void) msg; (void) data;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    if (ph == NULL) {
        return 0;
    }
    uint32_t id = ntohl(ph->packet_id);
    if (count == HELD) {
        return nfq_set_verdict(q, id, NF_DROP, 0, NULL);
    }
    size_t slot = (head + count) % HELD;
    held[slot].id = id;
    held[slot].due = now_ns() + delay_ns;
    count++;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: netdelay QUEUE DELAY_MS\n");
        return 2;
    }
    int queue = atoi(argv[1]);
    delay_ns = (int64_t) atoi(argv[2]) * 1000000;
    struct nfq_handle *h = nfq_open();
    if (h == NULL) {
        perror("nfq_open");
        return 1;
    }
    struct nfq_q_handle *q = nfq_create_queue(h, queue, &on_packet, NULL);
    if (q == NULL) {
        perror("nfq_create_queue");
        return 1;
    }
    /* only the verdict is needed, not the payload */
    if (nfq_set_mode(q, NFQNL_COPY_META, 0) < 0 || nfq_set_queue_maxlen(q, HELD) < 0) {
        perror("nfq_set_mode");
        return 1;
    }
    int fd = nfq_fd(h);
    char buf[65536];
    fprintf(stderr, "netdelay: queue %d, %s ms\n", queue, argv[2]);
    for (;;) {
        int64_t now = now_ns();
        while (count > 0 && held[head].due <= now) {
            nfq_set_verdict(q, held[head].id, NF_ACCEPT, 0, NULL);
            head = (head + 1) % HELD;
            count--;
        }
        int timeout = count > 0 ? (int) ((held[head].due - now) / 1000000) + 1 : 1000;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout) > 0) {
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                nfq_handle_packet(h, buf, (int) n);
            } else if (n < 0 && errno == ENOBUFS) {
                continue; /* the kernel dropped some: a lossy link, which is fine here */
            }
        }
    }
}

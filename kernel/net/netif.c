// SPDX-License-Identifier: MIT
/*
 * One lwIP netif per registered netdev (kernel/include/kernel/netdev.h).
 *
 * Transmit: lwIP calls linkoutput with the core lock held; the pbuf chain
 * goes to the driver as fragments, which it copies. Receive: the netdev's
 * poll task copies each frame into a pbuf and runs the stack on it right
 * there, under the core lock, with no hop through the tcpip task (see
 * frame_rx). So a sender that holds the lock while the transmit ring is
 * full must not wait for the poll task: the driver reclaims transmit
 * buffers in xmit itself and waits on its own transmit source
 * (drivers/virtio/net.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/dhcp.h>
#include <lwip/etharp.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/stats.h>
#include <lwip/tcpip.h>
#include <netif/ethernet.h>

#include <weft.h>

#include <kernel/bootargs.h>
#include <kernel/net.h>
#include <kernel/netdev.h>
#include <kernel/printk.h>
#include <kernel/sched.h>

#define POLL_BUDGET 64
#define MAX_FRAGS 16

struct weft_netif {
	struct netif nif;
	struct netdev *nd;
	bool dhcp;
	uint32_t shown_ip; /* the address last printed */
	/* What the glue itself dropped (the driver counts in nd->stats). */
	uint64_t rx_nomem, rx_bad, rx_refused, tx_failed;
	uint64_t rx_stack_dropped; /* lwIP's drops while handling our frames */
};

static struct weft_netif netifs[NETDEV_MAX];
static int nnetifs;

struct netif *net_netif(int idx)
{
	if (idx < 0 || idx >= __atomic_load_n(&nnetifs, __ATOMIC_ACQUIRE))
		return NULL;
	return &netifs[idx].nif;
}

static err_t link_output(struct netif *nif, struct pbuf *p)
{
	struct weft_netif *w = nif->state;
	struct netdev_frag frags[MAX_FRAGS];
	struct pbuf *flat = NULL;
	int n = 0, err;

	if (pbuf_clen(p) > MAX_FRAGS) {
		/* A very fragmented chain: flatten it into one buffer. */
		flat = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
		if (!flat) {
			w->tx_failed++;
			LINK_STATS_INC(link.memerr);
			return ERR_MEM;
		}
		p = flat;
	}
	for (struct pbuf *q = p; q; q = q->next) {
		frags[n].data = q->payload;
		frags[n].len = q->len;
		n++;
	}
	err = w->nd->ops->xmit(w->nd, frags, n);
	if (flat)
		pbuf_free(flat);
	if (err) {
		w->tx_failed++;
		LINK_STATS_INC(link.drop);
		return ERR_IF;
	}
	LINK_STATS_INC(link.xmit);
	return ERR_OK;
}

/* Everything lwIP has dropped so far, at every layer, as a wrapping 32-bit
 * sum (the counters are 32-bit with LWIP_STATS_LARGE). Core lock held. */
static uint32_t stack_drops(void)
{
	return lwip_stats.link.drop + lwip_stats.etharp.drop + lwip_stats.ip_frag.drop +
	       lwip_stats.ip.drop + lwip_stats.icmp.drop + lwip_stats.udp.drop +
	       lwip_stats.tcp.drop;
}

/* nd->rx: called by ops->poll() on the poll task for each frame. */
static void frame_rx(struct netdev *nd, const void *frame, size_t len)
{
	struct weft_netif *w = nd->stack_priv;
	struct pbuf *p;

	/* Frames the driver should never hand up; counted, not trusted. */
	if (len < SIZEOF_ETH_HDR || len > NETDEV_FRAME_MAX + 4) {
		w->rx_bad++;
		return;
	}
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		w->rx_nomem++;
		return;
	}
	pbuf_take(p, frame, (u16_t)len);
	/* What tcpip_input does with LWIP_TCPIP_CORE_LOCKING_INPUT, done here
	 * so that the stack's drops while it handles this frame (a bad
	 * checksum, a short header, a segment for no connection) are charged
	 * to this interface: lwIP counts them only globally, and nothing else
	 * runs the stack while the lock is held. */
	LOCK_TCPIP_CORE();
	uint32_t before = stack_drops();

	LINK_STATS_INC(link.recv);
	if (w->nif.input(p, &w->nif) != ERR_OK) {
		w->rx_refused++;
		pbuf_free(p);
	}
	w->rx_stack_dropped += (uint32_t)(stack_drops() - before);
	UNLOCK_TCPIP_CORE();
}

static void poll_task(void *arg)
{
	struct netdev *nd = arg;

	netpoll_add(&nd->np);
	for (;;) {
		int n = nd->ops->poll(nd, POLL_BUDGET);

		if (n < POLL_BUDGET)
			netpoll_wait(&nd->np);
		else
			yield(); /* a full budget: let the stack and the apps run */
	}
}

/* Runs in the tcpip task whenever an address changes or the link goes up:
 * print each new address once. */
static void status_changed(struct netif *nif)
{
	struct weft_netif *w = nif->state;
	uint32_t ip = ip4_addr_get_u32(netif_ip4_addr(nif));
	char a[16], g[16];
	int prefix;

	if (!netif_is_up(nif) || ip == 0 || ip == w->shown_ip)
		return;
	w->shown_ip = ip;
	prefix = __builtin_popcount(ip4_addr_get_u32(netif_ip4_netmask(nif)));
	ip4addr_ntoa_r(netif_ip4_addr(nif), a, sizeof(a));
	ip4addr_ntoa_r(netif_ip4_gw(nif), g, sizeof(g));
	printk("weft: %s: %s/%d gw %s (%s)\n", w->nd->name, a, prefix, g,
	       w->dhcp ? "dhcp" : "static");
}

static err_t nif_init(struct netif *nif)
{
	struct weft_netif *w = nif->state;

	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, w->nd->mac, ETH_HWADDR_LEN);
	nif->mtu = w->nd->mtu ? w->nd->mtu : NETDEV_MTU;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	nif->output = etharp_output;
	nif->linkoutput = link_output;
	netif_set_status_callback(nif, status_changed);
	return ERR_OK;
}

/* Parse "A.B.C.D/PREFIX,GW". */
static bool parse_static(const char *s, ip4_addr_t *ip, ip4_addr_t *mask, ip4_addr_t *gw)
{
	char buf[64], *slash, *comma, *end;
	long prefix;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	comma = strchr(buf, ',');
	if (!slash || !comma || comma < slash)
		return false;
	*slash = *comma = '\0';
	prefix = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || *end || prefix < 1 || prefix > 32)
		return false;
	if (!ip4addr_aton(buf, ip) || !ip4addr_aton(comma + 1, gw))
		return false;
	ip4_addr_set_u32(mask, lwip_htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix)));
	return true;
}

void net_netifs_add(void)
{
	const char *ipopt = bootargs_get(&kernel_bootargs, "ip");
	ip4_addr_t ip, mask, gw;
	bool have_static = false;

	if (ipopt) {
		have_static = parse_static(ipopt, &ip, &mask, &gw);
		if (!have_static)
			printk("weft: boot option ip=%s is not ADDR/PREFIX,GW; using DHCP\n",
			       ipopt);
	}
	for (int i = 0; i < netdev_count() && i < NETDEV_MAX; i++) {
		struct netdev *nd = netdev_get(i);
		struct weft_netif *w = &netifs[i];
		bool st = have_static && i == 0;

		w->nd = nd;
		w->dhcp = !st;
		nd->stack_priv = w;
		nd->rx = frame_rx;
		LOCK_TCPIP_CORE();
		if (!netif_add(&w->nif, st ? &ip : IP4_ADDR_ANY4, st ? &mask : IP4_ADDR_ANY4,
			       st ? &gw : IP4_ADDR_ANY4, w, nif_init, ethernet_input)) {
			UNLOCK_TCPIP_CORE();
			printk("weft: %s: lwIP refused the interface; skipping it\n", nd->name);
			continue;
		}
		if (i == 0)
			netif_set_default(&w->nif);
		netif_set_up(&w->nif);
		netif_set_link_up(&w->nif);
		if (w->dhcp && dhcp_start(&w->nif) != ERR_OK)
			printk("weft: %s: cannot start DHCP\n", nd->name);
		UNLOCK_TCPIP_CORE();
		__atomic_store_n(&nnetifs, i + 1, __ATOMIC_RELEASE);
		if (go_system(poll_task, nd, 0) < 0)
			printk("weft: %s: no memory for its poll task\n", nd->name);
	}
}

int net_stats(int idx, struct net_stats *st)
{
	struct weft_netif *w;
	struct netdev *nd;

	if (idx < 0 || idx >= __atomic_load_n(&nnetifs, __ATOMIC_ACQUIRE))
		return -ENODEV;
	w = &netifs[idx];
	nd = w->nd;
	memset(st, 0, sizeof(*st));
	memcpy(st->name, nd->name, strnlen(nd->name, sizeof(st->name) - 1));
	memcpy(st->mac, nd->mac, sizeof(st->mac));
	st->ipv4 = ip4_addr_get_u32(netif_ip4_addr(&w->nif));
	st->rx_packets = nd->stats.rx_packets;
	st->rx_bytes = nd->stats.rx_bytes;
	st->rx_dropped = nd->stats.rx_dropped + w->rx_nomem + w->rx_bad + w->rx_refused +
			 w->rx_stack_dropped;
	st->tx_packets = nd->stats.tx_packets;
	st->tx_bytes = nd->stats.tx_bytes;
	st->tx_dropped = nd->stats.tx_dropped + w->tx_failed;
	return 0;
}

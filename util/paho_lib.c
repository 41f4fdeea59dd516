/* paho_lib.c - Paho C loaded by its soname (see paho_lib.h). */
#include "paho_lib.h"

#include <dlfcn.h>
#include <stddef.h>

#include "err.h"
#include "log.h"

const struct wwtp_paho_lib *wwtp_paho;

/* The sonames of Debian's libpaho-mqtt1.3 package (the Depends of our
 * packages names it: scripts/mkdeb.sh). */
#define PAHO_PLAIN "libpaho-mqtt3a.so.1"
#define PAHO_TLS "libpaho-mqtt3as.so.1"

static struct wwtp_paho_lib loaded;

/* One symbol into the function pointer at slot; 0 or -1 (logged). Stored
 * through void ** as POSIX's dlsym() allows; every slot's type is the
 * prototype of Paho's header, so a call through it is checked. */
static int sym(void *h, const char *so, const char *name, void *slot, const char *mod)
{
	void *p = dlsym(h, name);
	if (!p) {
		LOG_ERROR(mod, "%s has no %s: is it Paho C 1.3? (%s)", so, name, dlerror());
		return -1;
	}
	*(void **)slot = p;
	return 0;
}

int wwtp_paho_load(int tls, const char *mod)
{
	if (wwtp_paho) {
		if (tls && !wwtp_paho->tls) {
			LOG_ERROR(mod, "a TLS broker URI after a plain one in one process: "
				       "give every client of this program the same kind of URI");
			return WWTP_ERR_MQTT;
		}
		return 0;
	}
	const char *so = tls ? PAHO_TLS : PAHO_PLAIN;
	/* RTLD_NOW: a missing symbol is found here, not at the first message. */
	void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		LOG_ERROR(mod,
			  "cannot load Paho C (%s): %s; install the Debian package libpaho-mqtt1.3",
			  so, dlerror());
		return WWTP_ERR_MQTT;
	}
	struct wwtp_paho_lib l = {.tls = tls ? 1 : 0};
	static const struct {
		const char *name;
		size_t off;
	} fns[] = {
	    {"MQTTAsync_createWithOptions", offsetof(struct wwtp_paho_lib, createWithOptions)},
	    {"MQTTAsync_setCallbacks", offsetof(struct wwtp_paho_lib, setCallbacks)},
	    {"MQTTAsync_setConnected", offsetof(struct wwtp_paho_lib, setConnected)},
	    {"MQTTAsync_connect", offsetof(struct wwtp_paho_lib, connect)},
	    {"MQTTAsync_disconnect", offsetof(struct wwtp_paho_lib, disconnect)},
	    {"MQTTAsync_isConnected", offsetof(struct wwtp_paho_lib, isConnected)},
	    {"MQTTAsync_subscribe", offsetof(struct wwtp_paho_lib, subscribe)},
	    {"MQTTAsync_subscribeMany", offsetof(struct wwtp_paho_lib, subscribeMany)},
	    {"MQTTAsync_sendMessage", offsetof(struct wwtp_paho_lib, sendMessage)},
	    {"MQTTAsync_freeMessage", offsetof(struct wwtp_paho_lib, freeMessage)},
	    {"MQTTAsync_free", offsetof(struct wwtp_paho_lib, free)},
	    {"MQTTAsync_destroy", offsetof(struct wwtp_paho_lib, destroy)},
	    {"MQTTAsync_strerror", offsetof(struct wwtp_paho_lib, strerror)},
	};
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (sym(h, so, fns[i].name, (char *)&l + fns[i].off, mod)) {
			dlclose(h);
			return WWTP_ERR_MQTT;
		}
	/* Never closed: Paho's threads and handlers live as long as the
	 * process. */
	loaded = l;
	wwtp_paho = &loaded;
	LOG_DEBUG(mod, "loaded %s", so);
	return 0;
}

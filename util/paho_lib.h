/* paho_lib.h - Eclipse Paho C's asynchronous client, loaded when the first
 * client is made: Debian ships it twice, libpaho-mqtt3a (plain) and
 * libpaho-mqtt3as (TLS, with OpenSSL's libssl and libcrypto), with one
 * header and one ABI. A program linked with the TLS build maps OpenSSL at
 * every start, about 3 MiB of a Pi's memory, though most gateways talk to
 * a broker on the plant's own network with a tcp:// URI (issue 21, edge
 * memory; bench/README.md). So no program links Paho: the TLS build is
 * loaded for an ssl://, mqtts:// or wss:// URI, the plain one otherwise.
 *
 * Every call to Paho goes through wwtp_paho, which is NULL until
 * wwtp_paho_load() succeeds (wwtp_paho_create() does that). A process
 * loads one build: a TLS URI after a plain one is refused, since a client
 * of one build cannot be handed to the other's functions. */
#ifndef WWTP_PAHO_LIB_H
#define WWTP_PAHO_LIB_H

#include <MQTTAsync.h>

struct wwtp_paho_lib {
	int tls; /* 1: libpaho-mqtt3as */
	int (*createWithOptions)(MQTTAsync *handle, const char *uri, const char *client_id,
				 int persistence_type, void *persistence_context,
				 MQTTAsync_createOptions *options);
	int (*setCallbacks)(MQTTAsync handle, void *ctx, MQTTAsync_connectionLost *cl,
			    MQTTAsync_messageArrived *ma, MQTTAsync_deliveryComplete *dc);
	int (*setConnected)(MQTTAsync handle, void *ctx, MQTTAsync_connected *co);
	int (*connect)(MQTTAsync handle, const MQTTAsync_connectOptions *options);
	int (*disconnect)(MQTTAsync handle, const MQTTAsync_disconnectOptions *options);
	int (*isConnected)(MQTTAsync handle);
	int (*subscribe)(MQTTAsync handle, const char *topic, int qos,
			 MQTTAsync_responseOptions *response);
	int (*subscribeMany)(MQTTAsync handle, int count, char *const *topic, const int *qos,
			     MQTTAsync_responseOptions *response);
	int (*sendMessage)(MQTTAsync handle, const char *topic, const MQTTAsync_message *msg,
			   MQTTAsync_responseOptions *response);
	void (*freeMessage)(MQTTAsync_message **msg);
	void (*free)(void *ptr);
	void (*destroy)(MQTTAsync *handle);
	const char *(*strerror)(int code);
};

/* The loaded build's functions; NULL before wwtp_paho_load(). */
extern const struct wwtp_paho_lib *wwtp_paho;

/* Loads the TLS build when tls is non-zero, else the plain one, once per
 * process; later calls return at once. 0, or WWTP_ERR_MQTT (logged under
 * mod: the library is not installed, lacks a function, or the plain build
 * is loaded and TLS is asked for). Called before any client exists and
 * from one thread, as the programs make their clients at start. */
int wwtp_paho_load(int tls, const char *mod);

#endif

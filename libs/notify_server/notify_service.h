// File: libs/notify_server/notify_service.h
//
// NotifyService implements the gRPC service wecom_notify.v1.Notify over an AlertStore: Notify
// normalizes, validates and stores a batch (Alertmanager's receive rules, best effort per alert);
// ListAlerts answers from the store. Notify is a raw method: its request is decoded from the wire
// bytes straight into alerts (libs/notify_wire/notify_decoder.h) rather than into the generated
// message first; so is NotifyStream, its streaming twin.
//
// Notify and NotifyStream are served with gRPC's asynchronous API on one server completion
// queue, which one CompletionQueueThread runs (libs/common/completion_queue_thread.h explains
// why not the callback API): every handler starts on that thread, so handlers must not block —
// storing is in memory and O(1) per alert, and a durable write is made there only when the
// committer is idle and the request small (HandleNotify). ListAlerts copies and sorts every
// matching alert — on that thread a listing of many thousands would hold back every Notify
// answer meanwhile — so it is a method of gRPC's synchronous API, on the synchronous server's
// threads (which take no polling turns with the completion thread).
//
// Thread-safety: HandleNotify and HandleListAlerts may be called concurrently from any thread;
// the store is thread-safe.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_SERVICE_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_SERVICE_H_

#include <grpcpp/completion_queue.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/alert/annotation_source.h"
#include "libs/common/clock.h"
#include "libs/dispatch/dispatch_loop.h"
#include "libs/notify_server/ingest_metrics.h"
#include "libs/notify_server/notify_stream.h"
#include "libs/notify_wire/notify_decoder.h"
#include "libs/storage/group_committer.h"
#include "libs/store/alert_store.h"
#include "wecom_notify/v1/notify.grpc.pb.h"

namespace wecom_notify::notify_server {

struct NotifyServiceOptions {
  // endsAt given to a firing alert posted without one (Alertmanager's global.resolve_timeout).
  absl::Duration resolve_timeout = absl::Minutes(5);
  // The same for firing alerts of an Alertmanager webhook notification. Alertmanager sends a
  // firing alert with no endsAt and re-sends it only every repeat_interval, then sends it
  // resolved; resolve_timeout would resolve it here while it still fires. This bounds how long
  // an alert whose resolve never arrives (send_resolved: false) stays firing.
  absl::Duration webhook_resolve_timeout = absl::Hours(24);
  // Set when the AlertStore keeps no annotations (store::Annotations::kDropped): listings read
  // them from here (the durable store), which must outlive the service.
  alert::AnnotationSource* annotations_source = nullptr;
};

class NotifyService {
 public:
  // `store`, `clock` and `metrics` must outlive the service. `durable` (nullable: memory only)
  // makes accepted alerts durable before the answer; `dispatch` (nullable: no routing
  // configured) receives every stored alert.
  NotifyService(store::AlertStore& store, Clock& clock, IngestMetrics& metrics,
                NotifyServiceOptions options, storage::GroupCommitter* durable = nullptr,
                dispatch::DispatchLoop* dispatch = nullptr);

  // HandleNotify()
  //
  // The logic of Notify, callable without gRPC. Fills `response` and calls `done` once the
  // accepted alerts are stored (durably, when a GroupCommitter is set) — possibly on another
  // thread. An error from durable storage (Unavailable, ResourceExhausted) means nothing of the
  // batch was acknowledged; the caller retries. `response` must stay valid until `done`.
  // `durable_mode` says whether the calling thread may write the batch itself
  // (GroupCommitter::Mode): gRPC's threads do, for requests of up to 32 alerts; the HTTP
  // API's I/O threads do not.
  void HandleNotify(
      notify_wire::DecodedNotifyRequest request, wecom_notify::v1::NotifyResponse* response,
      absl::AnyInvocable<void(absl::Status)> done,
      storage::GroupCommitter::Mode durable_mode = storage::GroupCommitter::Mode::kQueue);
  absl::Status HandleListAlerts(const wecom_notify::v1::ListAlertsRequest& request,
                                wecom_notify::v1::ListAlertsResponse* response);

  // The gRPC service to register with the ServerBuilder, before it builds the server.
  grpc::Service* grpc_service() { return &grpc_service_; }
  // Serve()
  //
  // Starts serving the asynchronous methods on `cq`, a queue of the built server that a
  // CompletionQueueThread runs: Notify takes the request's and answers the response's bytes (an
  // undecodable request is INVALID_ARGUMENT naming the place); NotifyStream answers each
  // message as Notify, under its id (libs/notify_server/notify_stream.h). (ListAlerts, as
  // HandleListAlerts, is served from the start.) The queue must be drained only after the
  // server's shutdown and after the committer's: an answer may be sent from the committer's
  // thread.
  void Serve(grpc::ServerCompletionQueue* cq);

  // Ends every NotifyStream once the requests it read are answered, and refuses new ones: call
  // before the gRPC server's shutdown, which would otherwise wait its grace period for them.
  void EndStreams() { streams_.EndAll(); }

 private:
  // Notify and NotifyStream asynchronous and raw, ListAlerts synchronous.
  class GrpcService final : public wecom_notify::v1::Notify::WithRawMethod_Notify<
                                wecom_notify::v1::Notify::WithRawMethod_NotifyStream<
                                    wecom_notify::v1::Notify::Service>> {
   public:
    explicit GrpcService(NotifyService& service) : service_(service) {}
    grpc::Status ListAlerts(grpc::ServerContext* context,
                            const wecom_notify::v1::ListAlertsRequest* request,
                            wecom_notify::v1::ListAlertsResponse* response) override;

   private:
    NotifyService& service_;
  };

  // Notify: decodes `request` and answers through `finish`.
  void NotifyBytes(const grpc::ByteBuffer& request, grpc::ByteBuffer* response,
                   absl::AnyInvocable<void(grpc::Status)> finish);

  store::AlertStore& store_;
  Clock& clock_;
  IngestMetrics& metrics_;
  NotifyServiceOptions options_;
  storage::GroupCommitter* durable_;
  dispatch::DispatchLoop* dispatch_;
  GrpcService grpc_service_{*this};
  NotifyStreams streams_{*this};
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_SERVICE_H_

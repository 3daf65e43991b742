// NodeServer's backup calls: taking, listing and deleting this node's backup parts (on a
// worker thread: they link files and wait for a flush), and restoring a backup into this
// cluster (on the maintenance thread: it replicates to other nodes).

#include "node/rpc/rpc_server.h"

namespace ringkv {
namespace {

void ToWire(const BackupPart& part, const std::string& dir, wire::BackupInfo::Builder out) {
  out.setNode(part.manifest.node_id);
  out.setName(part.manifest.name);
  out.setCreatedMs(part.manifest.created_ms);
  out.setTables(part.manifest.tables);
  out.setBytes(part.manifest.bytes);
  out.setComplete(part.complete);
  out.setDir(dir);
}

Result<std::vector<BackupPart>> RunBackupOp(Backups& backups, wire::BackupOp op, const std::string& name) {
  switch (op) {
    case wire::BackupOp::CREATE: {
      RINGKV_ASSIGN(BackupPart part, backups.Create(name));
      return std::vector<BackupPart>{std::move(part)};
    }
    case wire::BackupOp::LIST:
      return backups.List();
    case wire::BackupOp::DELETE:
      RINGKV_TRY(backups.Delete(name));
      return std::vector<BackupPart>{};
  }
  return Status::InvalidArgument("unknown backup operation");
}

}  // namespace

kj::Promise<void> NodeServer::backup(BackupContext context) {
  auto params = context.getParams();
  Status s = CheckAdmin(params.getHeader());
  if (s.ok() && s_.backups == nullptr) s = Status::NotSupported("this node takes no backups");
  if (!s.ok()) {
    wire::ToWire(s, context.getResults().initError());
    return kj::READY_NOW;
  }
  Backups* backups = s_.backups;
  wire::BackupOp op = params.getOp();
  std::string name = wire::ToText(params.getName());
  return s_.workers
      ->Run<Result<std::vector<BackupPart>>>([backups, op, name] { return RunBackupOp(*backups, op, name); })
      .then([context, backups](Result<std::vector<BackupPart>> parts) mutable {
        auto results = context.getResults();
        wire::ToWire(parts.status(), results.initError());
        if (!parts.ok()) return;
        auto out = results.initBackups(static_cast<unsigned>(parts->size()));
        for (unsigned i = 0; i < parts->size(); ++i) {
          ToWire((*parts)[i], backups->DirOf((*parts)[i].manifest.name), out[i]);
        }
      });
}

kj::Promise<void> NodeServer::restoreBackup(RestoreBackupContext context) {
  auto params = context.getParams();
  Status s = CheckAdmin(params.getHeader());
  if (s.ok() && s_.restore == nullptr) s = Status::NotSupported("this node cannot restore backups");
  std::vector<std::string> dirs;
  for (auto d : params.getDirs()) dirs.push_back(wire::ToText(d));
  if (!s.ok()) {
    wire::ToWire(s, context.getResults().initError());
    return kj::READY_NOW;
  }
  BackupRestore* restore = s_.restore;
  return s_.maintenance
      ->Submit<Result<RestoreReport>>([restore, dirs](BackgroundLoop::Context& ctx) { return restore->Run(ctx, dirs); })
      .then([context](Result<RestoreReport> report) mutable {
        auto results = context.getResults();
        wire::ToWire(report.status(), results.initError());
        if (!report.ok()) return;
        auto out = results.initReport();
        out.setParts(report->parts);
        out.setKeys(report->keys);
        out.setHints(report->hints);
        out.setSetsSent(report->sets_sent);
      });
}

}  // namespace ringkv

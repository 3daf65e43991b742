#include "node/data_dir.h"

#include <filesystem>

#include "node/storage/file.h"

namespace ringkv {

Status ClaimDataDir(const std::string& dir, const std::string& cluster_name, const std::string& node_id) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // like mkdir -p: parents too
  if (ec) return Status::IOError("cannot create data directory " + dir + ": " + ec.message());
  std::string path = dir + "/IDENTITY";
  std::string expected = "cluster=" + cluster_name + "\nnode=" + node_id + "\n";
  if (!storage::FileExists(path)) return storage::WriteFileAtomically(path, expected);
  RINGKV_ASSIGN(std::string found, storage::ReadFileToString(path));
  if (found != expected) {
    auto field = [&](const std::string& name) {
      auto at = found.find(name + "=");
      if (at == std::string::npos) return std::string("?");
      auto end = found.find('\n', at);
      return found.substr(at + name.size() + 1,
                          end == std::string::npos ? std::string::npos : end - at - name.size() - 1);
    };
    return Status::InvalidArgument("data directory " + dir + " belongs to node '" + field("node") + "' of cluster '" +
                                   field("cluster") + "'; refusing to start as node '" + node_id + "' of cluster '" +
                                   cluster_name + "'");
  }
  return Status::OK();
}

}  // namespace ringkv

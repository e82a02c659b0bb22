// An upload in progress: what the multipart parser reported so far. The `file` part streams
// into an UploadSink; every other form field is ignored.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/types.hpp"
#include "media/file_store.hpp"
#include "media/multipart.hpp"
#include "media/upload_sink.hpp"

namespace parley {

struct UploadState : MultipartHandler {
  UploadState(User who, FileStore& files, std::int64_t max_bytes)
      : user(std::move(who)), files_(files), max_bytes_(max_bytes) {}

  void on_part_begin(const MultipartPart& part) override {
    in_file_ = part.name == "file" && !sink;
    if (!in_file_) return;
    sink.emplace(files_.temp_path(), max_bytes_);
    original_name = part.filename.value_or("file");
  }
  void on_part_data(std::string_view data) override {
    if (in_file_ && !too_large && !sink->write(data)) too_large = true;
  }
  void on_part_end() override { in_file_ = false; }
  std::int64_t max_bytes() const { return max_bytes_; }

  User user;
  std::optional<UploadSink> sink;
  std::string original_name;
  bool too_large = false;
  std::unique_ptr<MultipartParser> parser;

 private:
  FileStore& files_;
  std::int64_t max_bytes_;
  bool in_file_ = false;
};

}  // namespace parley

// The rooms one connection follows, with the highest seq it has delivered in each (the seq
// filter). Most connections follow a few rooms: a sorted vector is smaller than a hash map
// (no bucket array, no node per room) and as fast to search at that size.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

#include "core/types.hpp"

namespace parley {

class FollowedRooms {
 public:
  using Entry = std::pair<RoomId, Seq>;

  // The highest seq delivered in `room`, or null when the room is not followed.
  Seq* find(RoomId room) {
    auto it = lower_bound(room);
    return it != rooms_.end() && it->first == room ? &it->second : nullptr;
  }
  bool contains(RoomId room) { return find(room) != nullptr; }

  // Follows `room` from seq 0; false (and no change) when it is followed already.
  bool add(RoomId room) {
    auto it = lower_bound(room);
    if (it != rooms_.end() && it->first == room) return false;
    rooms_.insert(it, Entry{room, 0});
    return true;
  }

  bool remove(RoomId room) {
    auto it = lower_bound(room);
    if (it == rooms_.end() || it->first != room) return false;
    rooms_.erase(it);
    return true;
  }

  std::vector<Entry>::const_iterator begin() const { return rooms_.begin(); }
  std::vector<Entry>::const_iterator end() const { return rooms_.end(); }
  void clear() { std::vector<Entry>().swap(rooms_); }

 private:
  std::vector<Entry>::iterator lower_bound(RoomId room) {
    return std::lower_bound(rooms_.begin(), rooms_.end(), room,
                            [](const Entry& entry, RoomId id) { return entry.first < id; });
  }

  std::vector<Entry> rooms_;
};

}  // namespace parley

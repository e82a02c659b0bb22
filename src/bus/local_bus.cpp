#include "bus/bus.hpp"

namespace parley {

void LocalBus::publish(BusEvent event) {
  for (const auto& subscriber : subscribers_) subscriber(event);
}

void LocalBus::subscribe(Subscriber subscriber) {
  subscribers_.push_back(std::move(subscriber));
}

}  // namespace parley

// A test plugin written in C++: a class, std::string, a dynamically
// initialised descriptor and an exception that never leaves run().
// Task type "test.cxx": result {"greeting": "hello <type>", "length": N};
// payload {"throw": true} makes run() throw internally and report TH_RETRY.
#include <stdexcept>
#include <string>

#include <taskhost/plugin.h>

namespace
{

const th_host_api *api = nullptr;

class Greeter
{
  public:
    explicit Greeter(std::string prefix) : prefix_(std::move(prefix))
    {
    }
    std::string result_for(const std::string &who) const
    {
        std::string greeting = prefix_ + who;
        return "{\"greeting\": \"" + greeting +
               "\", \"length\": " + std::to_string(greeting.size()) + "}";
    }

  private:
    std::string prefix_;
};

const Greeter greeter("hello "); // constructed when the plugin is loaded

int cxx_init(const th_host_api *host, const th_settings *, void **state, char *, size_t)
{
    api = host;
    *state = nullptr;
    return 0;
}

th_status cxx_run(void *, th_task *task) noexcept
{
    try {
        std::string payload = api->task_payload_json(task);
        if (payload.find("\"throw\" : true") != std::string::npos)
            throw std::runtime_error("asked to throw");
        std::string result = greeter.result_for(api->task_type(task));
        if (api->set_result_json(task, result.c_str()) != TH_OK)
            throw std::runtime_error("the host refused the result");
        return TH_DONE;
    } catch (const std::exception &e) {
        api->fail(task, "cxx: %s", e.what());
        return TH_RETRY;
    }
}

const char *const cxx_types[] = {"test.cxx", nullptr};

th_plugin make_descriptor()
{
    th_plugin p{};
    p.abi_version = TH_ABI_VERSION;
    p.size = sizeof(th_plugin);
    p.name = "cxx";
    p.version = "0.1";
    p.task_types = cxx_types;
    p.init = cxx_init;
    p.run = cxx_run;
    return p;
}

const th_plugin cxx_plugin = make_descriptor();

} // namespace

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &cxx_plugin;
}

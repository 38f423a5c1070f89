# The tutorial's prometheus.py (part 1 of prometheus-service-monitoring.zh.md, the lab
# fastprom grows from; bindings-python/tests/fixtures/tutorial keeps the original) with
# only the import changed to fastprom, and one change for the demo and the tests: the
# port may be given as the first argument (default 8000, the tutorial's), so that parallel
# runs pick free ports instead of colliding on 8000. Usage: python prometheus.py [PORT]
from fastprom import start_http_server, Summary
import random
import sys
import time

# 创建一个汇总类型的度量指标
REQUEST_TIME = Summary('request_processing_seconds', 'Time spent processing request')

# 使用度量指标的计时装饰器来采集函数的执行时长
@REQUEST_TIME.time()
def process_request(t):
    """模拟真实业务处理的时间消耗"""
    time.sleep(t)

if __name__ == '__main__':
    # 启动度量指标端点服务
    start_http_server(int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
    # 模拟真实服务不断处理请求
    while True:
        process_request(random.random())
